import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import badwords from 'badwords-list';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { alphabetHit, profanityMatcher, sessionText } from './message-filter';

/** Posting filters of protocol §9.2 (the rate limit is the `post` rule of the RateLimiter). */
@Injectable()
export class PostRules {
  private readonly profane: ((text: string) => boolean) | null;
  private readonly alphabets: string[];

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const words = config.PROFANITY_CUSTOM ? readFileSync(config.PROFANITY_CUSTOM, 'utf8').split(/\r?\n/) : badwords.array;
    this.profane = config.PROFANITY_FILTER ? profanityMatcher(words) : null;
    this.alphabets = config.ALPHABET_FILTERS.split(/[\s,]+/).filter(Boolean);
  }

  /**
   * Applies the configured filters (moderators exempt unless FILTER_MODS). Returns true when the
   * message is to be stored silently filtered; a non-silent filter rejects with 429.
   */
  isFiltered(data: Uint8Array, moderator: boolean): boolean {
    if ((!this.profane && this.alphabets.length === 0) || (moderator && !this.config.FILTER_MODS)) return false;
    const { body, displayName } = sessionText(data);
    if (this.alphabets.length && alphabetHit(`${body}\n${displayName}`, this.alphabets)) {
      if (!this.config.ALPHABET_SILENT) throw new HttpException('filtration rejected message (alphabet)', HttpStatus.TOO_MANY_REQUESTS);
      return true;
    }
    if (this.profane && (this.profane(body) || this.profane(displayName))) {
      if (!this.config.PROFANITY_SILENT) throw new HttpException('filtration rejected message (profanity)', HttpStatus.TOO_MANY_REQUESTS);
      return true;
    }
    return false;
  }
}
