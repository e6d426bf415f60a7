// The Unicode facts BERT tokenisation needs (tables generated from Python's unicodedata by
// scripts/gen_unicode_tables.py): UTF-8 decoding, categories, str.lower(), and accent
// stripping (NFD, then drop Mn), as Hugging Face's BertTokenizer computes them.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cast::text {

// Decodes UTF-8; throws InputError naming the byte offset on invalid input.
std::u32string decode_utf8(std::string_view s);
void append_utf8(std::string& out, char32_t cp);
std::string encode_utf8(std::u32string_view s);
// Index of the first invalid byte, or npos when s is valid UTF-8.
std::size_t find_invalid_utf8(std::string_view s);

bool is_mark_nonspacing(char32_t cp);   // Mn
bool is_control(char32_t cp);           // category C*, except \t \n \r
bool is_whitespace(char32_t cp);        // space, \t \n \r, Zs
bool is_punctuation(char32_t cp);       // ASCII symbol ranges or category P*
bool is_cjk(char32_t cp);               // BERT's CJK ideograph blocks

// Appends the lower-case form of cp (may be several code points).
void append_lower(std::u32string& out, char32_t cp);
// Appends cp with accents stripped (NFD, Mn removed); nothing for an Mn code point.
void append_strip_accents(std::u32string& out, char32_t cp);

}  // namespace cast::text
