/** The DNS resolver stack CliContext.deps() builds: loaded by the commands that resolve names. */
export { CachingResolver } from '../core/dns/caching-resolver.js';
export { SocketResolver } from '../core/dns/socket-resolver.js';
export { LimitingResolver } from '../core/dns/limiting-resolver.js';
export { parseNameServer, systemNameServers } from '../core/dns/servers.js';
