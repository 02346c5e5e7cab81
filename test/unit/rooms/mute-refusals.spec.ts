// A request refused because its user is muted is counted by the permission the mute withholds
// (scs_mute_refusals_total, docs/metrics.md); other refusals and a muted user's reads are not.
import { ForbiddenException } from '@nestjs/common';
import type { ChangeFeed } from '../../../src/cache/change-feed';
import type { FilesRepository } from '../../../src/files/files.repository';
import { RoomFiles } from '../../../src/files/room-files';
import { MetricsService } from '../../../src/metrics/metrics.service';
import { effectivePermissions } from '../../../src/rooms/permissions';
import type { RoomsRepository } from '../../../src/rooms/rooms.repository';
import { RoomsService } from '../../../src/rooms/rooms.service';
import type { AuthenticatedUser } from '../../../src/users/authenticated-user';
import { asFake, fakeAudit, FixedClock, noPlugins, roomRow, unitConfig } from '../support/fakes';

describe('mute refusals metric', () => {
  const clock = new FixedClock();
  const cfg = unitConfig();
  const metrics = new MetricsService();
  const feed = asFake<ChangeFeed>({ live: false, epoch: 0, subscribe: () => undefined });
  const rooms = new RoomsService(
    asFake<RoomsRepository>({}),
    cfg,
    feed,
    clock,
    new RoomFiles(asFake<FilesRepository>({})),
    fakeAudit(clock, cfg).audit,
    noPlugins(clock, cfg),
    metrics,
  );
  const user = { id: 2, sessionId: `15${'a'.repeat(64)}` } as AuthenticatedUser;
  const flags = { banned: false, moderator: false, admin: false };
  const now = clock.seconds();
  const refusals = async () => Object.fromEntries((await metrics.muteRefusals.get()).values.map((v) => [v.labels.permission, v.value]));

  it('counts a write or upload refused by a mute, by permission; not a read, not a refusal of an unmuted user', async () => {
    const muted = effectivePermissions(roomRow({ id: 1, token: 'lobby' }), { ...flags, mutedUntil: now + 600, muteReason: 'flooding' }, null, now);
    for (const need of ['write', 'write', 'upload'] as const) expect(() => rooms.requirePermission(muted, user, need)).toThrow(/^You are muted on this server until .*: flooding$/);
    expect(() => rooms.requirePermission(muted, user, 'read')).not.toThrow();
    const readOnly = effectivePermissions(roomRow({ id: 1, token: 'lobby', write: false }), flags, null, now);
    expect(() => rooms.requirePermission(readOnly, user, 'write')).toThrow(ForbiddenException);
    expect(await refusals()).toEqual({ write: 2, upload: 1 });
  });
});
