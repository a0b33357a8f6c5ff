-- server-only
-- Limits of analysts on a ClickHouse server, fixed (CONST) so a session cannot raise them.
-- readonly = 2: reads only, but clients such as @clickhouse/client may still send output settings.
-- Results larger than the limits are an error ('throw'), never silently cut.
CREATE SETTINGS PROFILE IF NOT EXISTS analyst_readonly SETTINGS
    readonly = 2,
    max_result_rows = 100000 CONST,
    max_result_bytes = 104857600 CONST,
    result_overflow_mode = 'throw' CONST,
    max_memory_usage = 1073741824 CONST,
    max_execution_time = 30 CONST,
    timeout_overflow_mode = 'throw' CONST
