// /clickhouse: a read-only ClickHouse HTTP endpoint over the embedded engine, for analysts with
// curl or @clickhouse/client (createClient({ url: <api>, pathname: '/clickhouse', access_token })).
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { Controller, Get, HttpCode, Inject, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import type { AuthenticatedUser } from '../auth/admin.guard.js';
import { APP_CONFIG } from '../tokens.js';
import { AnalystGuard } from './analyst.guard.js';
import { AnalystService } from './analyst.service.js';
import { contentTypeOf, parseGatewayRequest } from './protocol.js';
import { ProtocolErrorsFilter } from './protocol-errors.filter.js';
import { ApiAnalystResponses } from '../openapi/schemas.js';

@ApiTags('analyst')
@Controller('clickhouse')
@UseFilters(ProtocolErrorsFilter)
export class AnalystController {
  constructor(
    @Inject(AnalystService) private readonly analyst: AnalystService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** What @clickhouse/client's ping() calls; like ClickHouse's /ping it needs no credentials. */
  @Get('ping')
  @ApiOperation({ summary: 'ClickHouse-style liveness: "Ok."' })
  ping(@Res() response: FastifyReply): void {
    this.analyst.engine();
    void response.type('text/plain; charset=UTF-8').send('Ok.\n');
  }

  @Get()
  @UseGuards(AnalystGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Read-only SQL (SELECT, SHOW, DESCRIBE, EXPLAIN, EXISTS) in the ClickHouse HTTP protocol' })
  @ApiQuery({ name: 'query', required: true, description: 'SQL; FORMAT clause or default_format chooses the output' })
  @ApiAnalystResponses()
  queryByGet(@Req() request: FastifyRequest & { user?: AuthenticatedUser }, @Res() response: FastifyReply): Promise<void> {
    return this.answer(request, response);
  }

  @Post()
  @HttpCode(200)
  @UseGuards(AnalystGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Same as GET; the body holds the query (after ?query= if both are given)' })
  @ApiAnalystResponses()
  queryByPost(@Req() request: FastifyRequest & { user?: AuthenticatedUser }, @Res() response: FastifyReply): Promise<void> {
    return this.answer(request, response);
  }

  private async answer(request: FastifyRequest & { user?: AuthenticatedUser }, response: FastifyReply): Promise<void> {
    const gatewayRequest = parseGatewayRequest(request, this.config.clickhouseDatabase);
    const result = await this.analyst.run(gatewayRequest, request.user!.id);
    void response
      .code(200)
      .header('Content-Type', contentTypeOf(result.format))
      .header('X-ClickHouse-Format', result.format)
      .header('X-ClickHouse-Query-Id', result.queryId)
      .header('X-ClickHouse-Timezone', result.timezone)
      .header('X-ClickHouse-Summary', JSON.stringify(result.summary));
    // Streamed from the engine's blocks: no concatenated copy, and gzip off the event loop.
    const body = Readable.from(result.body, { objectMode: false });
    if (gatewayRequest.gzip) {
      await response.header('Content-Encoding', 'gzip').send(body.pipe(createGzip()));
    } else {
      await response.header('Content-Length', String(result.bytes)).send(body);
    }
  }
}
