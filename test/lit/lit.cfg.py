# Kiln's lit configuration: kiln-opt/kilnc tests with FileCheck.
import os
import shutil

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "Kiln"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = config.lit_obj_root

config.substitutions.append(("%kiln_src", config.kiln_src_root))
config.substitutions.append(("%kiln_build", config.kiln_obj_root))
# Debian's python3 has onnx/numpy; the first python3 on PATH may not.
config.substitutions.append(("%python", "/usr/bin/python3"))
# The host C compiler for apps that link libkilnrt.a, with the build's
# sanitizer flags when it has them.
sanitize = [f for f in config.kiln_c_flags.split()
            if f.startswith(("-fsanitize", "-fno-sanitize", "-fno-omit-frame"))]
config.substitutions.append(
    ("%cc", " ".join(["clang-22" if sanitize else "cc"] + sanitize)))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
tools = [ToolSubst("kiln-opt", unresolved="fatal")]
if os.path.exists(os.path.join(config.kiln_tools_dir, "kilnc")):
    tools.append(ToolSubst("kilnc", unresolved="fatal"))
    config.available_features.add("kilnc")
llvm_config.add_tool_substitutions(tools, [config.kiln_tools_dir])

if shutil.which("qemu-aarch64") and shutil.which("aarch64-linux-gnu-gcc"):
    config.available_features.add("qemu-aarch64")

# The OpenCL variant runs where an OpenCL device exists (POCL in CI); POCL
# finds none without a writable cache directory.
pocl_cache = os.environ.get("POCL_CACHE_DIR") or os.path.join(
    config.kiln_obj_root, "pocl-cache")
os.makedirs(pocl_cache, exist_ok=True)
config.environment["POCL_CACHE_DIR"] = pocl_cache
if shutil.which("clinfo"):
    import subprocess
    listed = subprocess.run(["clinfo", "-l"], capture_output=True, text=True,
                            env=dict(os.environ, POCL_CACHE_DIR=pocl_cache))
    if "Device" in listed.stdout:
        config.available_features.add("opencl")
