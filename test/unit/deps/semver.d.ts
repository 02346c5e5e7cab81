// semver (already installed: the production dependencies use it) ships no types of its own; these
// are the functions the engines test calls (semver's documented API).
declare module 'semver' {
  export function subset(sub: string, dom: string): boolean;
  export function satisfies(version: string, range: string): boolean;
  export function validRange(range: string): string | null;
}
