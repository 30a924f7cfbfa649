//===- ArtifactBytes.h - little-endian writers for artifact blobs -*- C++ -*-===//
//
// The model descriptor (targets/cpu), the OpenCL and NNA plans and the
// variant table are little-endian byte blobs whose layouts the runtime's
// public headers define; their encoders write them with these.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_ARTIFACTBYTES_H
#define KILN_TARGETS_ARTIFACTBYTES_H

#include "kiln/model_format.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <vector>

namespace kiln {

inline void put16(std::vector<uint8_t> &out, uint16_t v) {
  out.push_back(uint8_t(v));
  out.push_back(uint8_t(v >> 8));
}

inline void put32(std::vector<uint8_t> &out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(uint8_t(v >> (8 * i)));
}

inline void put64(std::vector<uint8_t> &out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(uint8_t(v >> (8 * i)));
}

/// Appends a u16 length and the bytes of `name`.
inline void putName(std::vector<uint8_t> &out, llvm::StringRef name) {
  out.push_back(uint8_t(name.size()));
  out.push_back(uint8_t(name.size() >> 8));
  out.insert(out.end(), name.begin(), name.end());
}

/// Appends a blob with the runtime's 24-byte header (runtime/src/
/// blob_header.h: magic, version, u64 payload size, FNV-1a 32 checksum, a
/// reserved 0), then `payload`.
inline void putBlob(std::vector<uint8_t> &out, uint32_t magic,
                    uint32_t version, const std::vector<uint8_t> &payload) {
  put32(out, magic);
  put32(out, version);
  put64(out, payload.size());
  put32(out, kiln_fnv1a32(payload.data(), payload.size()));
  put32(out, 0);
  out.insert(out.end(), payload.begin(), payload.end());
}

} // namespace kiln

#endif // KILN_TARGETS_ARTIFACTBYTES_H
