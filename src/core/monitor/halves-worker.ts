/** The worker thread of monitor/halves.ts: reads the second half of a Postfix log and sends back what it counted. */
import { parentPort, workerData } from 'node:worker_threads';
import { readSecondHalf, type HalfInput } from './halves.js';

parentPort!.postMessage(await readSecondHalf(workerData as HalfInput));
