// BERT tokenisation with Hugging Face BertTokenizer semantics (do_lower_case, accents stripped,
// CJK split, punctuation split), greedy longest-match-first WordPiece with "##" continuation
// pieces and a 100-character word limit, [CLS] ... [SEP], truncation, padding, attention masks.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cast::text {

class Vocab {
 public:
  // vocab.txt: one token a line, id = line index. Throws InputError naming the file when a
  // special token ([PAD] [UNK] [CLS] [SEP] [MASK]) is missing.
  static Vocab from_file(const std::string& path);
  static Vocab from_tokens(std::vector<std::string> tokens);
  int id(std::string_view token) const;   // -1 when absent
  const std::string& token(int id) const { return tokens_.at(static_cast<std::size_t>(id)); }
  std::size_t size() const { return tokens_.size(); }
  const std::vector<std::string>& tokens() const { return tokens_; }
  int pad_id, unk_id, cls_id, sep_id, mask_id;

 private:
  void index(const std::string& where);
  std::vector<std::string> tokens_;
  std::unordered_map<std::string_view, int> ids_;
};

struct TokenizerOptions {
  bool lower_case = true;
  bool strip_accents = true;   // BertTokenizer: follows lower_case when unset
  bool split_cjk = true;
  int max_chars_per_word = 100;
};

struct Encoding {
  std::vector<std::int32_t> ids;   // with [CLS] and [SEP]
  std::size_t full_length = 0;     // length before truncation, specials included
  bool truncated() const { return full_length > ids.size(); }
};

struct Batch {
  std::vector<std::int64_t> input_ids;       // rows x cols, row-major, padded with [PAD]
  std::vector<std::int64_t> attention_mask;  // 1 for real tokens
  std::size_t rows = 0, cols = 0;
};

class BertTokenizer {
 public:
  BertTokenizer(std::shared_ptr<const Vocab> vocab, TokenizerOptions opt = {});

  // Basic tokenisation only: the words WordPiece then splits (UTF-8). Throws InputError on
  // invalid UTF-8.
  std::vector<std::string> basic_tokens(std::string_view text) const;
  // WordPiece ids of the text without specials; appended to `out`.
  void wordpiece_ids(std::string_view text, std::vector<std::int32_t>& out) const;
  // [CLS] ids [SEP], truncated to max_length (0 = no limit).
  Encoding encode(std::string_view text, std::size_t max_length = 512) const;
  // Pads to the longest row (or to pad_to when larger).
  Batch pad(const std::vector<Encoding>& encodings, std::size_t pad_to = 0) const;

  const Vocab& vocab() const { return *vocab_; }

 private:
  void wordpiece_word(const std::u32string& word, std::string& scratch, std::vector<std::int32_t>& out) const;
  std::shared_ptr<const Vocab> vocab_;
  TokenizerOptions opt_;
};

}  // namespace cast::text
