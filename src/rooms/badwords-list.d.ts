// The package ships no types: a plain list of English profanities (protocol §9.2 default word list).
declare module 'badwords-list' {
  const lists: { array: string[] };
  export default lists;
}
