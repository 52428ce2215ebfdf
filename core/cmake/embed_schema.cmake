# Writes a C++ header holding the schema text, for flatbuffers' JSON parser and printer.
# Usage: cmake -DSCHEMA=path/to/mycelium.fbs -DOUTPUT=path/to/schema_text.hpp -P embed_schema.cmake
file(READ "${SCHEMA}" _text)
if(_text MATCHES "\\)fbs\"")
  message(FATAL_ERROR "${SCHEMA} contains the raw-string delimiter )fbs\"")
endif()
set(_content "// Generated from schemas/mycelium.fbs by core/cmake/embed_schema.cmake. Do not edit.
#pragma once

namespace mycelium::wire {
inline constexpr char kSchemaText[] = R\"fbs(${_text})fbs\";
} // namespace mycelium::wire
")
# Written whole every time, through a temporary file so that an interrupted build leaves no half
# header: the output must end newer than its inputs, or make would run this at every build once
# a checkout had touched them.
file(WRITE "${OUTPUT}.tmp" "${_content}")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
