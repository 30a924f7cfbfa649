//===- ArtifactBytes.h - little-endian writers for artifact blobs -*- C++ -*-===//
//
// The model descriptor (targets/cpu) and the OpenCL plan (targets/opencl)
// are little-endian byte blobs whose layouts the runtime's public headers
// define; both encoders write them with these.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_ARTIFACTBYTES_H
#define KILN_TARGETS_ARTIFACTBYTES_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <vector>

namespace kiln {

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

} // namespace kiln

#endif // KILN_TARGETS_ARTIFACTBYTES_H
