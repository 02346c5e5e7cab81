// ModerationService without a database: who may ban whom and where, what a ban writes (override,
// info_updates, scheduled unban), moderator grants, and the periodic job applying what is due.
// ModerationRepository, RoomsRepository and UsersRepository are FakeModerationData; UsersService and
// RoomsService are the real ones (no file is touched: RoomFiles has an empty FilesRepository).
import { MetricsService } from '../../../src/metrics/metrics.service';
import { BadRequestException, ForbiddenException } from '@nestjs/common';
import type { ChangeFeed } from '../../../src/cache/change-feed';
import type { ServerKey } from '../../../src/config/server-key';
import type { FilesRepository } from '../../../src/files/files.repository';
import { RoomFiles } from '../../../src/files/room-files';
import type { User } from '../../../src/generated/prisma/client';
import type { ModerationRepository } from '../../../src/moderation/moderation.repository';
import { ModerationService } from '../../../src/moderation/moderation.service';
import type { RoomsRepository } from '../../../src/rooms/rooms.repository';
import { RoomsService } from '../../../src/rooms/rooms.service';
import type { AuthenticatedUser } from '../../../src/users/authenticated-user';
import type { UsersRepository } from '../../../src/users/users.repository';
import { toAuthenticated, UsersService } from '../../../src/users/users.service';
import { asFake, fakeAudit, FixedClock, noPlugins, unitConfig } from '../support/fakes';
import { FakeModerationData } from './fake-moderation-data';

const sid = (n: number) => `15${n.toString(16).padStart(64, '0')}`;

function setup() {
  const data = new FakeModerationData();
  const config = unitConfig({ REQUIRE_BLIND_KEYS: false });
  const feed = asFake<ChangeFeed>({ live: false, epoch: 0, subscribe: () => undefined });
  const clock = new FixedClock();
  const users = new UsersService(asFake<UsersRepository>(data), config, asFake<ServerKey>({ publicKeyHex: '00'.repeat(32) }), feed, clock);
  const { audit, log } = fakeAudit(clock, config);
  const rooms = new RoomsService(
    asFake<RoomsRepository>(data),
    config,
    feed,
    clock,
    new RoomFiles(asFake<FilesRepository>({})),
    audit,
    noPlugins(clock, config),
    new MetricsService(),
  );
  const service = new ModerationService(asFake<ModerationRepository>(data), users, clock, rooms, audit, config, noPlugins(clock, config));
  const [lobby, other] = [data.addRoom('lobby'), data.addRoom('other')];
  const make = (n: number, flags: Partial<Pick<User, 'moderator' | 'admin'>> = {}): AuthenticatedUser => toAuthenticated(data.addUser(sid(n), flags));
  const [mod, roomAdmin, target, plain, globalMod] = [make(1), make(2), make(3), make(4), make(5, { moderator: true })];
  // mod moderates lobby; roomAdmin administers lobby and other.
  data.grant(lobby.id, mod.id, { moderator: true });
  data.grant(lobby.id, roomAdmin.id, { moderator: true, admin: true });
  data.grant(other.id, roomAdmin.id, { moderator: true, admin: true });
  return { data, service, clock, lobby, other, mod, roomAdmin, target, plain, globalMod, log };
}

describe('ModerationService: bans', () => {
  it('a room moderator bans in the room: banned override, activity dropped, unban scheduled at now + timeout', async () => {
    const { data, service, clock, lobby, mod, target } = setup();
    await service.ban(target.sessionId, { rooms: ['lobby'] }, 600, mod);
    expect(data.overrideOf(lobby.id, target.id)).toMatchObject({ banned: true, moderator: false, admin: false });
    expect(data.activityDeleted).toEqual([`${lobby.id}:${target.id}`]);
    expect(data.banFutures).toEqual([expect.objectContaining({ roomId: lobby.id, userId: target.id, at: clock.seconds() + 600, banned: false })]);
    // A plain user becoming banned changes no moderator list: info_updates stays.
    expect(data.room(lobby.id).infoUpdates).toBe(0);
    // A permanent re-ban drops the scheduled unban.
    await service.ban(target.sessionId, { rooms: ['lobby'] }, null, mod);
    expect(data.banFutures).toEqual([]);
  });

  it('refuses: yourself, a global moderator, a room moderator unless room admin, a room the actor does not moderate', async () => {
    const { data, service, lobby, mod, roomAdmin, target, plain, globalMod } = setup();
    data.grant(lobby.id, plain.id, { moderator: true });
    await expect(service.ban(mod.sessionId, { rooms: ['lobby'] }, null, mod)).rejects.toThrow('You cannot ban yourself');
    await expect(service.ban(plain.sessionId, { rooms: ['lobby'] }, null, mod)).rejects.toThrow('Only room admins can ban room moderators');
    await expect(service.ban(globalMod.sessionId, { rooms: ['lobby'] }, null, roomAdmin)).rejects.toThrow('Global moderators and admins cannot be banned');
    await expect(service.ban(roomAdmin.sessionId, { rooms: ['lobby'] }, null, mod)).rejects.toThrow('Only room admins can ban room moderators');
    await expect(service.ban(target.sessionId, { rooms: ['lobby', 'other'] }, null, mod)).rejects.toThrow('Moderator permission required in every listed room');
    await expect(service.ban(target.sessionId, { rooms: ['lobby', 'nowhere'] }, null, roomAdmin)).rejects.toThrow(ForbiddenException);
    expect(data.overrideOf(lobby.id, target.id)).toBeNull();

    // A room admin may ban a room moderator, who loses moderation there (a moderator list change).
    await service.ban(mod.sessionId, { rooms: ['lobby'] }, null, roomAdmin);
    expect(data.overrideOf(lobby.id, mod.id)).toMatchObject({ banned: true, moderator: false });
    expect(data.room(lobby.id).infoUpdates).toBe(1);
  });

  it('"*" bans in every room the actor moderates; none → 403', async () => {
    const { data, service, lobby, other, mod, roomAdmin, target, plain } = setup();
    await service.ban(target.sessionId, { rooms: ['*'] }, null, mod);
    expect([data.overrideOf(lobby.id, target.id)?.banned, data.overrideOf(other.id, target.id)]).toEqual([true, null]);
    await service.ban(plain.sessionId, { rooms: ['*'] }, null, roomAdmin);
    expect([data.overrideOf(lobby.id, plain.id)?.banned, data.overrideOf(other.id, plain.id)?.banned]).toEqual([true, true]);
    await expect(service.ban(roomAdmin.sessionId, { rooms: ['*'] }, null, plain)).rejects.toThrow(ForbiddenException);
  });

  it('timeouts must be positive seconds below 1e9 (no "0 = permanent")', async () => {
    const { service, mod, target } = setup();
    for (const timeout of [0, -5, 1e9, Number.NaN]) {
      await expect(service.ban(target.sessionId, { rooms: ['lobby'] }, timeout, mod)).rejects.toThrow(BadRequestException);
    }
  });

  it('global bans need a global moderator; the scheduled global unban applies once due', async () => {
    const { data, service, clock, mod, target, globalMod } = setup();
    await expect(service.ban(target.sessionId, { global: true }, 60, mod)).rejects.toThrow('Global moderator permission required');
    await service.ban(target.sessionId, { global: true }, 60, globalMod);
    expect(data.user(target.id).banned).toBe(true);
    expect(data.banFutures).toEqual([expect.objectContaining({ roomId: null, at: clock.seconds() + 60 })]);

    expect(await service.applyDueFutures()).toEqual({ permissions: 0, bans: 0, mutes: 0 });
    clock.advance(60_000);
    expect(await service.applyDueFutures()).toEqual({ permissions: 0, bans: 1, mutes: 0 });
    expect(data.user(target.id).banned).toBe(false);
    expect(data.banFutures).toEqual([]);
  });

  it('unban lifts the ban at that level only', async () => {
    const { data, service, lobby, mod, target, globalMod } = setup();
    await service.ban(target.sessionId, { rooms: ['lobby'] }, 60, mod);
    await service.ban(target.sessionId, { global: true }, null, globalMod);
    await service.unban(target.sessionId, { rooms: ['lobby'] }, mod);
    expect(data.overrideOf(lobby.id, target.id)).toBeNull();
    expect(data.banFutures).toEqual([]);
    expect(data.user(target.id).banned).toBe(true);
  });
});

describe('ModerationService: moderators and scheduled permissions', () => {
  it('flag combinations: none → 400, admin without moderator → 400; global changes need a global admin', async () => {
    const { service, roomAdmin, target, globalMod } = setup();
    await expect(service.setModerator(target.sessionId, { rooms: ['lobby'] }, {}, roomAdmin)).rejects.toThrow(BadRequestException);
    await expect(service.setModerator(target.sessionId, { rooms: ['lobby'] }, { admin: true, moderator: false }, roomAdmin)).rejects.toThrow(BadRequestException);
    await expect(service.setModerator(target.sessionId, { global: true }, { moderator: true }, globalMod)).rejects.toThrow('Global admin permission required');
  });

  it('room grants need a room admin; a grant bumps info_updates, visibility alone does not; removal deletes the override', async () => {
    const { data, service, lobby, mod, roomAdmin, target } = setup();
    await expect(service.setModerator(target.sessionId, { rooms: ['lobby'] }, { moderator: true }, mod)).rejects.toThrow('Admin permission required in every listed room');

    expect(await service.setModerator(target.sessionId, { rooms: ['lobby'] }, { admin: true }, roomAdmin)).toEqual({
      info_updates: { lobby: 1 },
      before: [{ room: 'lobby', status: null }],
    });
    expect(data.overrideOf(lobby.id, target.id)).toMatchObject({ moderator: true, admin: true, visibleMod: true });
    expect(await service.setModerator(target.sessionId, { rooms: ['lobby'] }, { admin: true, visible: false }, roomAdmin)).toEqual({
      info_updates: { lobby: 1 },
      before: [{ room: 'lobby', status: 'admin' }],
    });
    expect(data.overrideOf(lobby.id, target.id)?.visibleMod).toBe(false);
    expect(await service.setModerator(target.sessionId, { rooms: ['lobby'] }, { moderator: false }, roomAdmin)).toEqual({
      info_updates: { lobby: 2 },
      before: [{ room: 'lobby', status: 'admin' }],
    });
    expect(data.overrideOf(lobby.id, target.id)).toBeNull();
  });

  it('a global grant (by the system user when no actor) unbans, bumps every room; admin: false alone keeps moderator', async () => {
    const { data, service, lobby, other, target } = setup();
    await data.updateUserFlags(target.id, { banned: true });
    await service.setModerator(target.sessionId, { global: true }, { admin: true, visible: true });
    expect(data.user(target.id)).toMatchObject({ moderator: true, admin: true, visibleMod: true, banned: false });
    expect([data.room(lobby.id).infoUpdates, data.room(other.id).infoUpdates]).toEqual([1, 1]);
    await service.setModerator(target.sessionId, { global: true }, { admin: false });
    expect(data.user(target.id)).toMatchObject({ moderator: true, admin: false });
  });

  it('a due permission future equal to the room default clears the override instead of setting it', async () => {
    const { data, service, clock, lobby, mod, target } = setup();
    await service.setPermissions(lobby, target.sessionId, { write: false }, mod);
    await service.schedulePermissions(lobby, target.sessionId, { write: true }, 30, mod);
    expect(data.overrideOf(lobby.id, target.id)?.write).toBe(false);
    clock.advance(29_000);
    expect(await service.applyDueFutures()).toEqual({ permissions: 0, bans: 0, mutes: 0 });
    clock.advance(1000);
    expect(await service.applyDueFutures()).toEqual({ permissions: 1, bans: 0, mutes: 0 });
    expect(data.overrideOf(lobby.id, target.id)).toBeNull();
  });
});

describe('ModerationService: trusted users', () => {
  it('a room moderator trusts in the room (an override row) and removes it (the row goes when nothing else is set)', async () => {
    const { data, service, log, mod, lobby, target } = setup();
    await service.setTrusted(target.sessionId, { rooms: ['lobby'] }, true, mod);
    expect(data.overrideOf(lobby.id, target.id)?.trusted).toBe(true);
    await service.setTrusted(target.sessionId, { rooms: ['lobby'] }, false, mod);
    expect(data.overrideOf(lobby.id, target.id)).toBeNull();
    expect(log.entries.map((e) => [e.actor, e.action, e.room?.token ?? null, e.target])).toEqual([
      [mod.sessionId, 'trust', 'lobby', target.sessionId],
      [mod.sessionId, 'untrust', 'lobby', target.sessionId],
    ]);
  });

  it('refuses a room the actor does not moderate; global trust needs a global moderator', async () => {
    const { data, service, log, mod, plain, globalMod, target } = setup();
    await expect(service.setTrusted(target.sessionId, { rooms: ['other'] }, true, mod)).rejects.toThrow(ForbiddenException);
    await expect(service.setTrusted(target.sessionId, { global: true }, true, mod)).rejects.toThrow(ForbiddenException);
    await expect(service.setTrusted(target.sessionId, { rooms: ['lobby'] }, true, plain)).rejects.toThrow(ForbiddenException);
    expect(log.entries).toEqual([]);
    await service.setTrusted(target.sessionId, { global: true }, true, globalMod);
    expect(data.userOf(target.id)?.trusted).toBe(true);
    expect(log.entries.map((e) => [e.action, e.room ?? null, e.details])).toEqual([['trust', null, { global: true }]]);
  });
});

describe('ModerationService: mutes', () => {
  it('a room moderator mutes in the room until now + duration, with the reason; the job ends it; audited', async () => {
    const { data, service, clock, log, mod, lobby, target } = setup();
    const { until } = await service.mute(target.sessionId, { rooms: ['lobby'] }, 600, '  too loud\n ', mod);
    expect(until).toBe(clock.seconds() + 600);
    expect(data.overrideOf(lobby.id, target.id)).toMatchObject({ mutedUntil: until, muteReason: 'too loud', write: null });
    expect(await service.applyDueFutures(clock.seconds() + 599)).toEqual({ permissions: 0, bans: 0, mutes: 0 });
    expect(await service.applyDueFutures(clock.seconds() + 600)).toEqual({ permissions: 0, bans: 0, mutes: 1 });
    expect(data.overrideOf(lobby.id, target.id)).toBeNull();
    expect(log.entries.map((e) => [e.actor, e.action, e.room?.token ?? null, e.reason ?? null])).toEqual([
      [mod.sessionId, 'mute', 'lobby', 'too loud'],
      ['system', 'unmute', 'lobby', null],
    ]);
    expect(log.entries[0].details).toEqual({ duration: 600, until });
  });

  it('refuses: moderators, yourself, rooms the actor does not moderate, global without a global moderator, bad durations and reasons', async () => {
    const { service, log, mod, roomAdmin, plain, target } = setup();
    await expect(service.mute(roomAdmin.sessionId, { rooms: ['lobby'] }, 60, null, mod)).rejects.toThrow('Moderators and admins cannot be muted');
    await expect(service.mute(mod.sessionId, { rooms: ['lobby'] }, 60, null, mod)).rejects.toThrow(ForbiddenException);
    await expect(service.mute(target.sessionId, { rooms: ['other'] }, 60, null, mod)).rejects.toThrow(ForbiddenException);
    await expect(service.mute(target.sessionId, { global: true }, 60, null, mod)).rejects.toThrow(ForbiddenException);
    await expect(service.mute(target.sessionId, { rooms: ['lobby'] }, 60, null, plain)).rejects.toThrow(ForbiddenException);
    await expect(service.mute(target.sessionId, { rooms: ['lobby'] }, 0, null, mod)).rejects.toThrow(BadRequestException);
    await expect(service.mute(target.sessionId, { rooms: ['lobby'] }, 60, 'x'.repeat(201), mod)).rejects.toThrow('at most 200 characters');
    expect(log.entries).toEqual([]);
  });

  it('a global mute by a global moderator; unmute ends it at once', async () => {
    const { data, service, globalMod, target } = setup();
    await service.mute(target.sessionId, { global: true }, 60, null, globalMod);
    expect(data.userOf(target.id)).toMatchObject({ muteReason: null });
    expect(data.userOf(target.id)?.mutedUntil).not.toBeNull();
    await service.unmute(target.sessionId, { global: true }, globalMod);
    expect(data.userOf(target.id)).toMatchObject({ mutedUntil: null, muteReason: null });
  });
});

describe('ModerationService: room moderation settings', () => {
  it('sets a room value, resets it with null, and refuses bad values with 400 before writing', async () => {
    const { service, lobby } = setup();
    await expect(service.setRoomModeration(lobby, { newUserPosts: -1 })).rejects.toThrow(BadRequestException);
    await expect(service.setRoomModeration(lobby, {})).rejects.toThrow('No moderation settings given');
  });
});

describe('ModerationService: audit log', () => {
  it('records each room of a ban with the acting moderator, the CLI as "cli", and applied unbans as "system"', async () => {
    const { service, clock, log, roomAdmin, target } = setup();
    await service.ban(target.sessionId, { rooms: ['lobby', 'other'] }, 60, roomAdmin);
    await service.unban(target.sessionId, { global: true });
    clock.advance(61_000);
    await service.applyDueFutures(clock.seconds());
    expect(log.entries.map((e) => [e.actor, e.action, e.room?.token ?? null, e.target])).toEqual([
      [roomAdmin.sessionId, 'ban', 'lobby', target.sessionId],
      [roomAdmin.sessionId, 'ban', 'other', target.sessionId],
      ['cli', 'unban', null, target.sessionId],
      ['system', 'unban', 'lobby', target.sessionId],
      ['system', 'unban', 'other', target.sessionId],
    ]);
    expect(log.entries[0].details).toEqual({ timeout: 60, shadow: false });
  });

  it('a refused change records nothing', async () => {
    const { service, log, plain, target } = setup();
    await expect(service.ban(target.sessionId, { rooms: ['lobby'] }, null, plain)).rejects.toThrow(ForbiddenException);
    expect(log.entries).toEqual([]);
  });
});
