/**
 * Rows read as arrays (SQLite's raw mode) give the same objects as the keyed rows, in the same key
 * order (the JSON documents print them as they are): every nullable column both null and set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Classification } from '../../../src/core/delivery/classification.js';
import { DELIVERY_COLUMNS, deliveryFromArray, RECIPIENT_COLUMNS, recipientFromArray, toDelivery, toRecipient, type DeliveryRow, type RecipientRow } from '../../../src/core/store/rows.js';

/** Each row read as an array gives what the keyed conversion gives, with the keys in the same order. */
function assertSameAsKeyed<R, T>(columns: readonly (keyof R)[], rows: readonly R[], fromArray: (a: unknown[]) => T, keyed: (r: R) => T): void {
  for (const row of rows) {
    const got = fromArray(columns.map((c) => row[c]));
    const want = keyed(row);
    assert.deepEqual(got, want);
    assert.equal(JSON.stringify(got), JSON.stringify(want));
  }
}

const recipientRows: RecipientRow[] = [
  { queue_id: 'q1', recipient: 'a@example.com', domain: 'example.com', status: 'queued', attempts: 0, next_attempt_at: 1_700_000_000_000, first_attempt_at: null, last_attempt_at: null, reply_code: null, enhanced_code: null, response: null, reason: null, hard: null },
  { queue_id: 'q1', recipient: 'b@example.com', domain: 'example.com', status: 'bounced', attempts: 2, next_attempt_at: 1_700_000_300_000, first_attempt_at: 1_700_000_000_000, last_attempt_at: 1_700_000_200_000, reply_code: 550, enhanced_code: '5.1.1', response: '550 5.1.1 no such user', reason: 'userunknown', hard: 1 },
  { queue_id: 'q1', recipient: 'c@example.com', domain: 'example.com', status: 'deferred', attempts: 1, next_attempt_at: 1_700_000_300_000, first_attempt_at: 1_700_000_000_000, last_attempt_at: 1_700_000_000_000, reply_code: null, enhanced_code: null, response: 'connection refused', reason: 'networkerror', hard: 0 },
  { queue_id: 'q1', recipient: 'd@example.com', domain: 'example.com', status: 'deferred', attempts: 1, next_attempt_at: 1, first_attempt_at: 1, last_attempt_at: 1, reply_code: 451, enhanced_code: null, response: '451 try later', reason: null, hard: false },
];

test('recipientFromArray gives what toRecipient gives for the keyed row, key order included', () => {
  assertSameAsKeyed(RECIPIENT_COLUMNS, recipientRows, recipientFromArray, toRecipient);
});

const classification: Classification = { reason: 'userunknown', hard: true, suppress: true, retry: false };
const deliveryRows: DeliveryRow[] = [
  { id: 1, message_id: '<m@example.net>', recipient: 'a@example.com', status: 'queued', reply_code: null, enhanced_code: null, response: null, mx: null, at: 1_700_000_000_000, queue_id: null, address: null, port: null, tls_protocol: null, tls_cipher: null, classification: null, tag: null },
  { id: 2, message_id: '<m@example.net>', recipient: 'b@example.com', status: 'bounced', reply_code: 550, enhanced_code: '5.1.1', response: '550 5.1.1 no such user', mx: 'mx.example.com', at: 1_700_000_000_001, queue_id: 'q1', address: '192.0.2.25', port: 25, tls_protocol: 'TLSv1.3', tls_cipher: 'TLS_AES_256_GCM_SHA384', classification: JSON.stringify(classification), tag: 'warmup:w1:gmail' },
  { id: 3, message_id: '<m@example.net>', recipient: 'c@example.com', status: 'deferred', reply_code: null, enhanced_code: null, response: 'timed out', mx: 'mx.example.com', at: 1_700_000_000_002, queue_id: 'q1', address: '192.0.2.25', port: 25, tls_protocol: 'TLSv1.2', tls_cipher: null, classification, tag: null },
];

test('deliveryFromArray gives what toDelivery gives for the keyed row, key order included', () => {
  assertSameAsKeyed(DELIVERY_COLUMNS, deliveryRows, deliveryFromArray, toDelivery);
});
