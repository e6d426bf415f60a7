#include "text/normalizer.hpp"

#include "common/error.hpp"
#include "common/file_io.hpp"
#include "text/unicode.hpp"

namespace cast::text {

TextNormalizer TextNormalizer::builtin() {
  TextNormalizer n;
  for (char32_t c = 0x21; c <= 0x7E; ++c) n.map_[c] = std::u32string(1, c);
  auto put = [&](char32_t from, const char32_t* to) { n.map_[from] = to; };
  // Sub- and superscript digits and signs (robocrys's Unicode formulas and charges).
  for (char32_t d = 0; d < 10; ++d) {
    n.map_[0x2080 + d] = std::u32string(1, U'0' + d);
    n.map_[0x2070 + d] = std::u32string(1, U'0' + d);
  }
  put(0xB9, U"1"); put(0xB2, U"2"); put(0xB3, U"3");
  put(0x207A, U"+"); put(0x207B, U"-"); put(0x208A, U"+"); put(0x208B, U"-");
  put(0x207D, U"("); put(0x207E, U")"); put(0x208D, U"("); put(0x208E, U")");
  // Dashes and minus signs.
  for (char32_t c : {0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xFE63, 0xFF0D}) put(c, U"-");
  // Quotes, primes, dots, ellipsis.
  for (char32_t c : {0x2018, 0x2019, 0x201A, 0x2032, 0x00B4}) put(c, U"'");
  for (char32_t c : {0x201C, 0x201D, 0x201E, 0x2033}) put(c, U"\"");
  put(0xB7, U"."); put(0x2022, U"."); put(0x22C5, U"."); put(0x2026, U"...");
  // Units and symbols kept as themselves; a few spelled out.
  for (char32_t c : {0xB0, 0xD7, 0xB1, 0x2264, 0x2265, 0x2248, 0x2260, 0x2192, 0x221A, 0x221E, 0x2220,
                     0x2206, 0x2202, 0x2211, 0x222B, 0x2030, 0x2116, 0x212B})
    n.map_[c] = std::u32string(1, c);
  put(0x2103, U"\u00B0C"); put(0x2109, U"\u00B0F"); put(0xB5, U"\u03BC");
  // Greek letters, both cases.
  for (char32_t c = 0x391; c <= 0x3A9; ++c) if (c != 0x3A2) n.map_[c] = std::u32string(1, c);
  for (char32_t c = 0x3B1; c <= 0x3C9; ++c) n.map_[c] = std::u32string(1, c);
  return n;
}

TextNormalizer TextNormalizer::from_file(const std::string& path) {
  TextNormalizer n;
  std::string all = read_file(path);
  // MatSciBERT strips the file, splits on '\n', maps line[0] -> line[2:].
  std::size_t b = all.find_first_not_of(" \t\r\n"), e = all.find_last_not_of(" \t\r\n");
  if (b == std::string::npos) fail(path, ": empty normaliser map");
  all = all.substr(b, e - b + 1);
  std::size_t lineno = 0, start = 0;
  while (start <= all.size()) {
    std::size_t nl = all.find('\n', start);
    std::string line = all.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    ++lineno;
    std::u32string u;
    try {
      u = decode_utf8(line);
    } catch (const InputError& err) {
      fail(path, ":", lineno, ": ", err.what());
    }
    if (u.empty()) fail(path, ":", lineno, ": empty line; expected 'c replacement'");
    n.map_[u[0]] = u.size() > 2 ? u.substr(2) : std::u32string();
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return n;
}

std::string TextNormalizer::normalize(const std::string& utf8) const {
  std::u32string in = decode_utf8(utf8);
  std::u32string out;
  out.reserve(in.size());
  std::u32string cleaned;
  std::size_t start = 0;
  for (;;) {
    std::size_t nl = in.find(U'\n', start);
    std::u32string_view line(in.data() + start, (nl == std::u32string::npos ? in.size() : nl) - start);
    // BertNormalizer(lowercase=False, strip_accents=True, clean_text=True, handle_chinese_chars=True)
    cleaned.clear();
    for (char32_t c : line) {
      if (c == 0 || c == 0xFFFD || is_control(c)) continue;
      if (is_whitespace(c)) { cleaned.push_back(U' '); continue; }
      if (is_cjk(c)) { cleaned.push_back(U' '); cleaned.push_back(c); cleaned.push_back(U' '); continue; }
      append_strip_accents(cleaned, c);
    }
    for (char32_t c : cleaned) {
      auto it = map_.find(c);
      if (it == map_.end()) out.push_back(U' ');
      else out += it->second;
    }
    if (nl == std::u32string::npos) break;
    out.push_back(U'\n');
    start = nl + 1;
  }
  return encode_utf8(out);
}

}  // namespace cast::text
