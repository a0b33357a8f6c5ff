// One place mapping errors to HTTP: HttpExceptions keep their body; anything else (ClickHouse or
// Postgres down, a bug) is a 500 {"error": ...} as in the original, logged with its cause.
import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { ClickHouseError } from '../../../libs/clickhouse/src/clickhouse.js';

@Catch()
export class ErrorsFilter implements ExceptionFilter {
  private readonly logger = new Logger('statistics.api');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      if (exception.getStatus() === 401) response.setHeader('WWW-Authenticate', 'Bearer realm="api"');
      response.status(exception.getStatus()).json(typeof body === 'string' ? { detail: body } : body);
      return;
    }
    const error = exception instanceof Error ? exception : new Error(String(exception));
    this.logger.error({ message: 'request failed', error: error.message, stack: error.stack });
    const source = exception instanceof ClickHouseError ? 'ClickHouse' : 'server';
    response.status(500).json({ error: `Erreur lors du calcul des statistiques (${source} error: ${error.message.split('\n')[0]})` });
  }
}
