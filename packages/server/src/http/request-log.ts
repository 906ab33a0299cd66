/**
 * One log line per request, written when the answer is sent: method, path, client address,
 * status and time taken, with the correlation id. Fastify's default is two lines (in and out);
 * one halves the logging cost on the token path (docs/benchmarks.md) and loses nothing, since
 * the out line repeats the correlation id and the in line carried nothing else.
 */
import { LogController } from 'fastify';
import { ReplySummary, RequestSummary } from '../logger.js';

type LogArgs = Parameters<LogController['requestCompleted']>;

export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: LogArgs[0], request: LogArgs[1], reply: LogArgs[2]): void {
    if (this.isLogDisabled(request)) return;
    // Summaries built here, which the serializers pass through as they are: the same line for less work.
    const line = { req: RequestSummary.of(request), res: new ReplySummary(reply.statusCode), responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}
