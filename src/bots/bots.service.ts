import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { SERVER_KEY, type ServerKey } from '../config/server-key';
import { Clock } from '../core/clock';
import { blind15Signer, decodeBase64Strict, decryptFromBlindedSender, encryptForBlindedRecipient } from '../crypto';
import { type DirectMessageObject, InboxService } from '../inbox/inbox.service';
import { padMessage, visibleMessageContent } from '../protocol/session-message';
import { sessionText, unpad } from '../rooms/message-filter';
import { MessagesService, type PostedJson } from '../rooms/messages.service';
import { RoomsService } from '../rooms/rooms.service';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { UsersService } from '../users/users.service';
import { botIdentity, createBotKey, listBotNames, readBotKey, type BotIdentity, type BotKey } from './bot-keys';

export type { BotIdentity } from './bot-keys';

/** A DM to a bot, opened. */
export interface BotDirectMessage {
  id: number;
  /** the blinded id it came from (reply to this) */
  sender: string;
  /** the sender's unblinded 05 id, proven by the encryption */
  senderSessionId: string;
  text: string;
  displayName: string;
  postedAt: number;
}

export interface BotPostOptions {
  whisperTo?: string | null;
  whisperMods?: boolean;
}

interface LoadedBot extends BotKey, BotIdentity {
  sign: (message: Uint8Array) => Uint8Array;
}

/**
 * Bots: Session identities the server holds the keys of (issue 16). A bot speaks as a client does:
 * its posts are signed Session messages that go through the same room access and posting rules as
 * a user's, its DMs are blinded-encrypted so stock clients read them and reply.
 */
@Injectable()
export class BotsService {
  private readonly loaded = new Map<string, LoadedBot>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SERVER_KEY) private readonly serverKey: ServerKey,
    private readonly users: UsersService,
    private readonly rooms: RoomsService,
    private readonly messages: MessagesService,
    private readonly inbox: InboxService,
    private readonly clock: Clock,
  ) {}

  /** `bots add`: a new bot with its own key. */
  add(name: string, displayName: string): BotIdentity {
    return this.identityOf(this.load(createBotKey(this.config.BOTS_DIR, name, displayName)));
  }

  list(): BotIdentity[] {
    return listBotNames(this.config.BOTS_DIR).map((n) => this.identity(n));
  }

  /** Throws NotFoundException when there is no such bot. */
  identity(name: string): BotIdentity {
    return this.identityOf(this.bot(name));
  }

  /** Posts `text` to a room as the bot, through the room's write permission and the posting rules users meet. */
  async post(name: string, roomToken: string, text: string, opts: BotPostOptions = {}): Promise<PostedJson> {
    const bot = this.bot(name);
    const user = await this.userOf(bot);
    const access = await this.rooms.requireAccess(roomToken, user, 'write');
    const data = this.message(bot, text);
    return this.messages.post(access.room, access.permissions, user, {
      data,
      signature: bot.sign(data),
      whisperTo: opts.whisperTo ?? null,
      whisperMods: opts.whisperMods ?? false,
      files: [],
    });
  }

  /** Adds a reaction as the bot, under the room's read permission and the reaction rules users meet. */
  async react(name: string, roomToken: string, messageId: number, reaction: string): Promise<{ added: boolean; seqno: number }> {
    const user = await this.userOf(this.bot(name));
    const access = await this.rooms.requireAccess(roomToken, user, 'read');
    return this.messages.addReaction(access.room, access.permissions, user, messageId, this.messages.validReaction(reaction));
  }

  /** DMs `text` to a blinded id as the bot (protocol §6.9.1 encryption), under the DM rules users meet. */
  async dm(name: string, recipient: string, text: string): Promise<DirectMessageObject> {
    const bot = this.bot(name);
    const body = encryptForBlindedRecipient(bot.seed, this.serverKey.publicKey, recipient, this.message(bot, text));
    return this.inbox.send(await this.userOf(bot), recipient, body);
  }

  /** Opens a DM the bot received; null when it is not a blinded message to the bot (clients drop those too). */
  open(name: string, dm: DirectMessageObject): BotDirectMessage | null {
    const bot = this.bot(name);
    const body = dm.message === undefined ? null : decodeBase64Strict(dm.message);
    if (!body) return null;
    try {
      const { plaintext, senderSessionId } = decryptFromBlindedSender(bot.seed, this.serverKey.publicKey, dm.sender, body);
      const { body: text, displayName } = sessionText(unpad(plaintext));
      return { id: dm.id, sender: dm.sender, senderSessionId, text, displayName, postedAt: dm.posted_at };
    } catch {
      return null;
    }
  }

  /** The DMs to the bot after `afterId`, opened (unreadable ones left out). */
  async inboxOf(name: string, afterId = 0, limit = 256): Promise<BotDirectMessage[]> {
    const bot = this.bot(name);
    const dms = await this.inbox.list(await this.userOf(bot), 'inbox', afterId, limit);
    return dms.map((dm) => this.open(name, dm)).filter((m): m is BotDirectMessage => m !== null);
  }

  /** The name of the bot whose blinded id this is, or null. */
  botNamed(sessionId: string): string | null {
    const id = sessionId.toLowerCase();
    return this.list().find((b) => b.sessionId === id)?.name ?? null;
  }

  private message(bot: LoadedBot, text: string): Uint8Array {
    return padMessage(visibleMessageContent({ body: text, displayName: bot.displayName, sentAtMs: this.clock.now() }));
  }

  private userOf(bot: LoadedBot): Promise<AuthenticatedUser> {
    return this.users.getOrCreateAuthenticated(bot.sessionId);
  }

  private bot(name: string): LoadedBot {
    const cached = this.loaded.get(name);
    if (cached) return cached;
    const key = readBotKey(this.config.BOTS_DIR, name);
    if (!key) throw new NotFoundException(`No bot named "${name}"`);
    return this.load(key);
  }

  private load(key: BotKey): LoadedBot {
    const bot = { ...key, ...botIdentity(key, this.serverKey.publicKey), sign: blind15Signer(key.seed, this.serverKey.publicKey) };
    this.loaded.set(key.name, bot);
    return bot;
  }

  private identityOf(bot: LoadedBot): BotIdentity {
    return { name: bot.name, displayName: bot.displayName, sessionId: bot.sessionId };
  }
}
