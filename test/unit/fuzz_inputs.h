// Test helper: the fuzz targets' seed corpora and regression inputs
// (runtime/fuzz/{corpus,regressions}/<target>/), which the unit tests
// replay in the ordinary build.
#ifndef KILN_TEST_FUZZ_INPUTS_H
#define KILN_TEST_FUZZ_INPUTS_H

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

namespace kiln_test {

// The files of `target`, found from this header's path; empty when the
// source tree is not beside the build.
inline std::vector<std::string> fuzzInputs(const std::string &target) {
  namespace fs = std::filesystem;
  fs::path fuzz = fs::path(__FILE__).parent_path().parent_path().parent_path() /
                  "runtime" / "fuzz";
  std::vector<std::string> files;
  for (const char *kind : {"corpus", "regressions"}) {
    std::error_code ec;
    for (fs::directory_iterator it(fuzz / kind / target, ec), end;
         !ec && it != end; it.increment(ec))
      if (it->is_regular_file(ec))
        files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

inline std::vector<uint8_t> readBytes(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

} // namespace kiln_test

#endif // KILN_TEST_FUZZ_INPUTS_H
