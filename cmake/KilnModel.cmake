# kiln_add_model: compile an ONNX model with kilnc while the app builds, and
# link it and libkilnrt into the app. Part of the Kiln CMake package
# (find_package(Kiln), docs/user-guide.md).
#
#   kiln_add_model(TARGET app MODEL net.onnx
#                  [NAME name]            # default: the model file's stem
#                  [TRIPLE triple]        # default: the runtime's (Kiln_TARGET_TRIPLE)
#                  [DEVICES cpu gpu nna]  # kilnc --devices (default: kilnc's, cpu)
#                  [OPTIONS flag...]      # further kilnc flags, as they are
#                  [DEPENDS file...])     # files those flags read (--calibrate ...)
#
# kilnc writes <name>.o and <name>.h into
# ${CMAKE_CURRENT_BINARY_DIR}/kiln/<app>/; the object becomes one of the
# app's sources, the directory one of its include directories, and the app
# links Kiln::kilnrt (keyword signature: PRIVATE). The app includes
# "<name>.h", which declares `const kiln_model *kiln_model_<name>(void)`.
# kilnc runs again when the model, kilnc, a DEPENDS file or the command line
# (any argument above) changes, and only then. Call it in the directory that
# defines the target.
#
# kilnc: the cache variable KILN_KILNC if set, else this package's
# bin/kilnc, else kilnc on PATH. A runtime-only package (cross-built for
# aarch64 or Android) has no kilnc: give the host's,
#   -DKILN_KILNC=/path/to/host-prefix/bin/kilnc
include_guard(GLOBAL)

set(KILN_KILNC "" CACHE FILEPATH
  "kilnc that kiln_add_model runs (empty: the Kiln package's bin/kilnc, else kilnc on PATH)")

function(_kiln_find_kilnc out)
  if(KILN_KILNC)
    if(NOT EXISTS "${KILN_KILNC}")
      message(FATAL_ERROR "kiln_add_model: KILN_KILNC=${KILN_KILNC} does not exist")
    endif()
    set(${out} "${KILN_KILNC}" PARENT_SCOPE)
  elseif(EXISTS "${Kiln_PREFIX}/bin/kilnc")
    set(${out} "${Kiln_PREFIX}/bin/kilnc" PARENT_SCOPE)
  else()
    # A host program, also when cross-compiling.
    find_program(_KILN_KILNC_ON_PATH kilnc NO_CMAKE_FIND_ROOT_PATH)
    if(NOT _KILN_KILNC_ON_PATH)
      message(FATAL_ERROR
        "kiln_add_model: no kilnc. The Kiln package in ${Kiln_PREFIX} has "
        "none (a runtime-only build, e.g. cross-built for aarch64) and none "
        "is on PATH: configure with -DKILN_KILNC=<host prefix>/bin/kilnc")
    endif()
    set(${out} "${_KILN_KILNC_ON_PATH}" PARENT_SCOPE)
  endif()
endfunction()

function(kiln_add_model)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "" "TARGET;MODEL;NAME;TRIPLE"
    "DEVICES;OPTIONS;DEPENDS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "kiln_add_model: unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_TARGET OR NOT TARGET "${ARG_TARGET}")
    message(FATAL_ERROR "kiln_add_model: TARGET must name an existing target (got '${ARG_TARGET}')")
  endif()
  if(NOT ARG_MODEL)
    message(FATAL_ERROR "kiln_add_model: MODEL is required")
  endif()
  get_filename_component(model "${ARG_MODEL}" ABSOLUTE
    BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${model}")
    message(FATAL_ERROR "kiln_add_model: model ${model} does not exist")
  endif()

  set(name "${ARG_NAME}")
  if(NOT name)
    get_filename_component(name "${model}" NAME_WE)
    string(MAKE_C_IDENTIFIER "${name}" name)
  endif()
  if(NOT name MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "kiln_add_model: NAME '${name}' is not a C identifier")
  endif()

  set(triple "${ARG_TRIPLE}")
  if(NOT triple)
    set(triple "${Kiln_TARGET_TRIPLE}")
  endif()
  if(NOT triple)
    message(FATAL_ERROR "kiln_add_model: give TRIPLE (this Kiln runtime's target has no default)")
  endif()
  if(Kiln_TARGET_TRIPLE AND NOT triple STREQUAL Kiln_TARGET_TRIPLE)
    message(FATAL_ERROR
      "kiln_add_model: TRIPLE ${triple}, but the runtime in ${Kiln_PREFIX} is "
      "built for ${Kiln_TARGET_TRIPLE}: use that package's kiln_add_model "
      "from a build for ${triple} (docs/user-guide.md)")
  endif()

  _kiln_find_kilnc(kilnc)
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/kiln/${ARG_TARGET}")
  set(obj "${dir}/${name}.o")
  set(hdr "${dir}/${name}.h")
  set(cmd "${kilnc}" "${model}" "--target=${triple}" "--name=${name}"
    --emit=obj -o "${obj}")
  if(ARG_DEVICES)
    list(JOIN ARG_DEVICES "," devices)
    list(APPEND cmd "--devices=${devices}")
  endif()
  list(APPEND cmd ${ARG_OPTIONS})

  # The command line, rewritten only when it changes: a dependency, so that
  # new flags compile again with every generator (Ninja also compares
  # command lines, Makefiles do not).
  file(MAKE_DIRECTORY "${dir}")
  set(flags_file "${dir}/${name}.kilnc-command")
  string(REPLACE ";" "\n" flags "${cmd}")
  set(old "")
  if(EXISTS "${flags_file}")
    file(READ "${flags_file}" old)
  endif()
  if(NOT old STREQUAL "${flags}\n")
    file(WRITE "${flags_file}" "${flags}\n")
  endif()

  get_filename_component(model_file "${model}" NAME)
  add_custom_command(
    OUTPUT "${obj}" "${hdr}"
    COMMAND ${cmd}
    DEPENDS "${model}" "${kilnc}" "${flags_file}" ${ARG_DEPENDS}
    COMMENT "kilnc: ${model_file} -> ${name}.o (${triple})"
    VERBATIM)
  set_source_files_properties("${obj}" PROPERTIES
    EXTERNAL_OBJECT TRUE GENERATED TRUE)
  set_source_files_properties("${hdr}" PROPERTIES GENERATED TRUE)
  target_sources("${ARG_TARGET}" PRIVATE "${obj}" "${hdr}")
  target_include_directories("${ARG_TARGET}" PRIVATE "${dir}")
  target_link_libraries("${ARG_TARGET}" PRIVATE Kiln::kilnrt)
  if(UNIX)
    # Compiled model code may call libm.
    target_link_libraries("${ARG_TARGET}" PRIVATE m)
  endif()
endfunction()
