/** The pgpass package (node-postgres's reader of ~/.pgpass / PGPASSFILE): no published types. */
declare module 'pgpass' {
  function pgPass(connInfo: { host: string; port: number | string; database: string; user: string }, cb: (password: string | undefined) => void): void;
  export default pgPass;
}
