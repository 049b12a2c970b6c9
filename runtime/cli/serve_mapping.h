/* serve_mapping.h - `shardlab serve --mapping FILE.lua` (serve_mapping.c). */
#ifndef SHARDLAB_SERVE_MAPPING_H
#define SHARDLAB_SERVE_MAPPING_H

#include "server/http_server.h"
#include "shardlab/api.h"

/* Serves api with the file's mappings consuming its streams until a signal; returns an exit status. */
int sl_cli_serve_mappings(sl_api_t *api, const sl_server_config_t *config, const char *file, unsigned workers);

#endif
