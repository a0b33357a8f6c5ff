// /clickhouse: a read-only ClickHouse HTTP endpoint over the embedded engine, for analysts with
// curl or @clickhouse/client (createClient({ url: <api>, pathname: '/clickhouse', access_token })).
import { gzipSync } from 'node:zlib';
import { Controller, Get, Inject, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import type { AuthenticatedUser } from '../auth/admin.guard.js';
import { APP_CONFIG } from '../tokens.js';
import { AnalystGuard } from './analyst.guard.js';
import { AnalystService } from './analyst.service.js';
import { contentTypeOf, parseGatewayRequest } from './protocol.js';
import { ProtocolErrorsFilter } from './protocol-errors.filter.js';

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
  ping(@Res() response: Response): void {
    this.analyst.engine();
    response.type('text/plain; charset=UTF-8').send('Ok.\n');
  }

  @Get()
  @UseGuards(AnalystGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Read-only SQL (SELECT, SHOW, DESCRIBE, EXPLAIN, EXISTS) in the ClickHouse HTTP protocol' })
  @ApiQuery({ name: 'query', required: true, description: 'SQL; FORMAT clause or default_format chooses the output' })
  queryByGet(@Req() request: Request & { user?: AuthenticatedUser }, @Res() response: Response): Promise<void> {
    return this.answer(request, response);
  }

  @Post()
  @UseGuards(AnalystGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Same as GET; the body holds the query (after ?query= if both are given)' })
  queryByPost(@Req() request: Request & { user?: AuthenticatedUser }, @Res() response: Response): Promise<void> {
    return this.answer(request, response);
  }

  private async answer(request: Request & { user?: AuthenticatedUser }, response: Response): Promise<void> {
    const gatewayRequest = parseGatewayRequest(request, this.config.clickhouseDatabase);
    const result = await this.analyst.run(gatewayRequest, request.user!.id);
    response
      .status(200)
      .setHeader('Content-Type', contentTypeOf(result.format))
      .setHeader('X-ClickHouse-Format', result.format)
      .setHeader('X-ClickHouse-Query-Id', result.queryId)
      .setHeader('X-ClickHouse-Timezone', result.timezone)
      .setHeader('X-ClickHouse-Summary', JSON.stringify(result.summary));
    if (gatewayRequest.gzip) {
      response.setHeader('Content-Encoding', 'gzip').end(gzipSync(result.body));
    } else {
      response.end(result.body);
    }
  }
}
