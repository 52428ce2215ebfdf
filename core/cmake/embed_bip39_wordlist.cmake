# Writes the BIP39 English wordlist as a C++ array initialiser, each word in a char[9] (the
# longest word has 8 letters), for core/src/chain/bip39.cpp.
# Usage: cmake -DWORDLIST=path/to/bip39_english.txt -DOUTPUT=path/to/bip39_english.inc
#              -P embed_bip39_wordlist.cmake
# The file must be the published list byte for byte (bitcoin/bips, bip-0039/english.txt): a
# changed word would silently change every key derived from a phrase that uses it.
set(_published_sha256 "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda")
file(SHA256 "${WORDLIST}" _sha256)
if(NOT _sha256 STREQUAL _published_sha256)
  message(FATAL_ERROR "${WORDLIST}: SHA-256 ${_sha256} is not the published BIP39 English "
                      "wordlist's (${_published_sha256})")
endif()
file(STRINGS "${WORDLIST}" _words)
list(LENGTH _words _count)
if(NOT _count EQUAL 2048)
  message(FATAL_ERROR "${WORDLIST}: ${_count} words, expected 2048")
endif()
set(_content "// Generated from core/src/chain/bip39_english.txt by core/cmake/embed_bip39_wordlist.cmake.\n// Do not edit.\n")
foreach(_word IN LISTS _words)
  if(NOT _word MATCHES "^[a-z][a-z][a-z][a-z]?[a-z]?[a-z]?[a-z]?[a-z]?$")
    message(FATAL_ERROR "${WORDLIST}: '${_word}' is not 3 to 8 lowercase letters")
  endif()
  string(APPEND _content "\"${_word}\",\n")
endforeach()
# Written whole every time, through a temporary file so that an interrupted build leaves no half
# header: the output must end newer than its inputs, or make would run this at every build once
# a checkout had touched them.
file(WRITE "${OUTPUT}.tmp" "${_content}")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
