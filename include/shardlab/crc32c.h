/* crc32c.h - CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every record in a segment
 * file. SSE4.2's crc32 instruction when the CPU has it, a table otherwise; both give the same values. */
#ifndef SHARDLAB_CRC32C_H
#define SHARDLAB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends crc (0 to start) over n bytes at p. */
uint32_t sl_crc32c(uint32_t crc, const void *p, size_t n);

/* The portable version, whatever the CPU (for tests). */
uint32_t sl_crc32c_portable(uint32_t crc, const void *p, size_t n);

#endif
