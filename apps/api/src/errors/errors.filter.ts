// One place mapping errors to HTTP: a DomainError (domain-errors.ts) gets the status of its code and
// its body (a failed operation's cause is logged); HttpExceptions (guards, parameter checks) keep theirs; a saturated engine is a 503 with
// Retry-After; anything else (ClickHouse or Postgres down, a bug) is a 500 {"error": ...} as in
// the original, logged with its cause.
import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { EngineBusyError } from '../../../../libs/clickhouse/src/admission.js';
import { ClickHouseError } from '../../../../libs/clickhouse/src/clickhouse.js';
import { DomainError, OperationFailedError, statusOf } from './domain-errors.js';

@Catch()
export class ErrorsFilter implements ExceptionFilter {
  private readonly logger = new Logger('statistics.api');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof DomainError) {
      if (exception instanceof OperationFailedError) {
        this.logger.error({ message: 'request failed', detail: exception.message, error: exception.cause.message, stack: exception.cause.stack });
      }
      void response.code(statusOf(exception.code)).send(exception.body());
      return;
    }
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      if (exception.getStatus() === 401) void response.header('WWW-Authenticate', 'Bearer realm="api"');
      void response.code(exception.getStatus()).send(typeof body === 'string' ? { detail: body } : body);
      return;
    }
    if (exception instanceof EngineBusyError) {
      // Not a fault: too much at once. The client is told when to come back, nothing is computed.
      void response
        .code(503)
        .header('Retry-After', String(exception.retryAfterSeconds))
        .send({ error: `Statistiques momentanément indisponibles : ${exception.message}`, reason: exception.reason, retry_after: exception.retryAfterSeconds });
      return;
    }
    const error = exception instanceof Error ? exception : new Error(String(exception));
    this.logger.error({ message: 'request failed', error: error.message, stack: error.stack });
    const source = exception instanceof ClickHouseError ? 'ClickHouse' : 'server';
    void response.code(500).send({ error: `Erreur lors du calcul des statistiques (${source} error: ${error.message.split('\n')[0]})` });
  }
}
