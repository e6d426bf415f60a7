// MatSciBERT's text normaliser (normalize_text.py, SPEC §2.3): per line, drop control
// characters, turn whitespace into spaces, pad CJK, strip accents; then map every character
// through a table, an unmapped character becoming one space; lines joined with '\n'.
// The built-in table is ours (printable ASCII plus scientific Unicode); load MatSciBERT's own
// vocab_mappings.txt for exact compatibility with its checkpoints.
#pragma once
#include <string>
#include <unordered_map>

namespace cast::text {

class TextNormalizer {
 public:
  static TextNormalizer builtin();
  // vocab_mappings.txt format: one "c replacement" a line (first character, a separator, the
  // rest). Throws InputError naming the file and line when malformed.
  static TextNormalizer from_file(const std::string& path);

  std::string normalize(const std::string& utf8) const;
  std::size_t size() const { return map_.size(); }

 private:
  std::unordered_map<char32_t, std::u32string> map_;
};

}  // namespace cast::text
