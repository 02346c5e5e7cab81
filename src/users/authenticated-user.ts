/** The user an inner request is authenticated as (protocol §3.2 step 13), or null when anonymous. */
export interface AuthenticatedUser {
  id: number;
  /** "15…" blinded id (or "05…" when unblinded keys are allowed), lowercase hex. */
  sessionId: string;
  banned: boolean;
  moderator: boolean;
  admin: boolean;
  visibleMod: boolean;
  /** Shadow-banned on the whole server (issue 14). */
  shadowBanned: boolean;
  /** Trusted on the whole server (issue 14 item 2). */
  trusted: boolean;
  /** Muted on the whole server until then (issue 14 item 6); null = not muted. */
  mutedUntil: number | null;
  muteReason: string | null;
}
