/**
 * mailpace-cli as a library: the core engine behind every command. Everything here takes a Deps
 * object ({ resolver, clock, timeoutMs }), so callers choose the DNS servers and time source.
 */
export type { Finding, FindingSummary, Severity } from './core/types.js';
export { summarize, sortFindings, SEVERITIES } from './core/types.js';
export { FINDING_CODES, isFindingCode, type FindingCode } from './core/finding-codes.js';
export { MailpaceError, UsageError, DnsError, NetworkError, SmtpError } from './core/errors.js';
export { systemClock, FakeClock, type Clock } from './core/clock.js';
export type { Deps } from './core/deps.js';
export { exitCodeFor, parseFailOn, EXIT } from './core/policy.js';
export { parseDuration } from './core/duration.js';

// DNS
export type { Resolver, DnsAnswer, DnsRecord, RecordType, DnsStatus, NameServer } from './core/dns/types.js';
export { SocketResolver } from './core/dns/socket-resolver.js';
export { CachingResolver } from './core/dns/caching-resolver.js';
export { LimitingResolver } from './core/dns/limiting-resolver.js';
export { parseNameServer, systemNameServers } from './core/dns/servers.js';
export { reverseName } from './core/net/ip-address.js';

// Domain checks
export { checkDomain, checkDomains, type CheckDomainOptions, type CheckDomainReport, type DomainReport } from './core/domain/check-domain.js';
export { checkSpf } from './core/domain/spf.js';
export { checkDkim, parseDkimKey } from './core/domain/dkim.js';
export { checkDmarc, parseDmarc } from './core/domain/dmarc.js';
export { checkMx } from './core/domain/mx.js';
export { checkPtr } from './core/domain/ptr.js';
export { checkMtaSts, parseStsPolicy } from './core/domain/mta-sts.js';
export { checkTlsRpt } from './core/domain/tls-rpt.js';
export { checkBimi } from './core/domain/bimi.js';
export { checkDnssec, checkDane } from './core/domain/dnssec.js';
export { createPolicyFetcher, type PolicyFetcher } from './core/domain/policy-fetch.js';
export { bulkSenderVerdict, type BulkSenderVerdict } from './core/domain/bulk-sender.js';
export { normalizeDomain } from './core/domain/name.js';
export { organizationalDomain } from './core/domain/org-domain.js';

// SPF
export { parseSpf, isSpfRecord } from './core/spf/parse.js';
export { evaluateSpf, SPF_RESULTS, type SpfInput, type SpfEvaluation } from './core/spf/evaluate.js';

// Store
export type { Store, Suppression, DeliveryLogEntry } from './core/store/store.js';
export { MemoryStore } from './core/store/memory-store.js';
export { defaultStorePath } from './core/store/store.js';
