# cmake -DINPUT=FILE -DOUTPUT=FILE.cpp -DFUNCTION=name -P embed_text.cmake
#
# Writes OUTPUT, a C++ file defining `std::string_view prov::admin::FUNCTION()`
# that returns the bytes of INPUT: a file the binary serves is compiled into
# it, so an installed package needs nothing beside the binary. The bytes are
# written as numbers, which no content of INPUT can break.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# 16 bytes a line, so that the file stays readable by tools (CMake's regular
# expressions have no {16}).
string(REPEAT "0x[0-9a-f][0-9a-f]," 16 line)
string(REGEX REPLACE "(${line})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${INPUT} by embed_text.cmake: edit that file, not this one.\n"
"#include <string_view>\n\n"
"namespace prov::admin {\n\n"
"namespace {\n"
"const char kBytes[] = {\n${bytes}0x00};\n"
"}  // namespace\n\n"
"std::string_view ${FUNCTION}() { return std::string_view(kBytes, ${size}); }\n\n"
"}  // namespace prov::admin\n")
# Only a changed file is replaced, so an unchanged input compiles nothing again.
configure_file("${OUTPUT}.tmp" "${OUTPUT}" COPYONLY)
file(REMOVE "${OUTPUT}.tmp")
