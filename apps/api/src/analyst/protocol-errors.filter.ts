// Every error of the gateway, authentication included, answered the way a ClickHouse server does
// (plain text `Code: N. DB::Exception: ... (NAME)` and X-ClickHouse-Exception-Code), so
// @clickhouse/client raises a ClickHouseError carrying the message and code.
import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ErrorCode, GatewayError, sendError } from './protocol.js';

function detailOf(exception: HttpException): string {
  const body = exception.getResponse();
  if (typeof body === 'string') return body;
  const fields = body as { detail?: unknown; error?: unknown; message?: unknown };
  // The body adds its own final period.
  return String(fields.detail ?? fields.error ?? fields.message ?? exception.message).replace(/\.+$/, '');
}

@Catch()
export class ProtocolErrorsFilter implements ExceptionFilter {
  private readonly logger = new Logger('statistics.analyst');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof GatewayError) {
      // Only our faults are errors; the analyst's own are logged by the service as warnings.
      if (exception.status >= 500) this.logger.error({ message: 'analyst query failed', error: exception.message });
      if (exception.status === 429) void response.header('Retry-After', String(exception.retryAfterSeconds));
      sendError(response, exception);
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 401) {
        void response.header('WWW-Authenticate', 'Bearer realm="clickhouse"');
        sendError(response, { status, code: ErrorCode.AUTHENTICATION_FAILED, codeName: 'AUTHENTICATION_FAILED', message: `Authentication failed: ${detailOf(exception)}` });
      } else if (status === 403) {
        sendError(response, {
          status,
          code: ErrorCode.ACCESS_DENIED,
          codeName: 'ACCESS_DENIED',
          message: `${detailOf(exception)}: the SQL gateway is for analysts (user_type 'analyst') and administrators`,
        });
      } else {
        sendError(response, { status, code: ErrorCode.UNSUPPORTED_METHOD, codeName: 'UNSUPPORTED_METHOD', message: detailOf(exception) });
      }
      return;
    }
    const error = exception instanceof Error ? exception : new Error(String(exception));
    this.logger.error({ message: 'analyst gateway failed', error: error.message, stack: error.stack });
    sendError(response, { status: 500, code: ErrorCode.STD_EXCEPTION, codeName: 'STD_EXCEPTION', message: error.message.split('\n')[0]! });
  }
}
