#include "text/wordpiece.hpp"

#include "common/error.hpp"
#include "common/file_io.hpp"
#include "text/unicode.hpp"

namespace cast::text {

Vocab Vocab::from_file(const std::string& path) {
  std::vector<std::string> tokens;
  for_each_line(path, [&](std::string&& line, std::size_t) {
    tokens.push_back(std::move(line));
    return true;
  });
  Vocab v;
  v.tokens_ = std::move(tokens);
  v.index(path);
  return v;
}

Vocab Vocab::from_tokens(std::vector<std::string> tokens) {
  Vocab v;
  v.tokens_ = std::move(tokens);
  v.index("vocabulary");
  return v;
}

void Vocab::index(const std::string& where) {
  ids_.clear();
  ids_.reserve(tokens_.size());
  for (std::size_t i = 0; i < tokens_.size(); ++i) ids_.emplace(tokens_[i], static_cast<int>(i));
  auto need = [&](const char* t) {
    int i = id(t);
    if (i < 0) fail(where, ": vocabulary has no ", t, " token; a BERT vocab needs [PAD] [UNK] [CLS] [SEP] [MASK]");
    return i;
  };
  pad_id = need("[PAD]");
  unk_id = need("[UNK]");
  cls_id = need("[CLS]");
  sep_id = need("[SEP]");
  mask_id = need("[MASK]");
}

int Vocab::id(std::string_view token) const {
  auto it = ids_.find(token);
  return it == ids_.end() ? -1 : it->second;
}

BertTokenizer::BertTokenizer(std::shared_ptr<const Vocab> vocab, TokenizerOptions opt)
    : vocab_(std::move(vocab)), opt_(opt) {}

namespace {
// Splits the cleaned text into words, lower-cased/stripped and split on punctuation; calls
// emit(word) for each.
template <typename Emit>
void basic_tokenize(std::string_view text, const TokenizerOptions& opt, Emit&& emit) {
  std::u32string in;
  try {
    in = decode_utf8(text);
  } catch (const InputError& err) {
    fail("text is not valid UTF-8 (", err.what(), ")");
  }
  std::u32string word, lowered, stripped;
  auto flush_word = [&] {
    if (word.empty()) return;
    const std::u32string* w = &word;
    if (opt.lower_case) {
      lowered.clear();
      for (char32_t c : word) append_lower(lowered, c);
      w = &lowered;
    }
    if (opt.strip_accents) {
      stripped.clear();
      for (char32_t c : *w) append_strip_accents(stripped, c);
      w = &stripped;
    }
    // Split on punctuation: each punctuation character is its own word.
    std::u32string piece;
    for (char32_t c : *w) {
      if (is_punctuation(c)) {
        if (!piece.empty()) { emit(piece); piece.clear(); }
        piece.push_back(c);
        emit(piece);
        piece.clear();
      } else if (is_whitespace(c)) {  // lowering/stripping never makes spaces, but be safe
        if (!piece.empty()) { emit(piece); piece.clear(); }
      } else {
        piece.push_back(c);
      }
    }
    if (!piece.empty()) emit(piece);
    word.clear();
  };
  for (char32_t c : in) {
    if (c == 0 || c == 0xFFFD || is_control(c)) continue;
    if (is_whitespace(c)) { flush_word(); continue; }
    if (opt.split_cjk && is_cjk(c)) {
      flush_word();
      word.push_back(c);
      flush_word();
      continue;
    }
    word.push_back(c);
  }
  flush_word();
}
}  // namespace

std::vector<std::string> BertTokenizer::basic_tokens(std::string_view text) const {
  std::vector<std::string> out;
  basic_tokenize(text, opt_, [&](const std::u32string& w) { out.push_back(encode_utf8(w)); });
  return out;
}

void BertTokenizer::wordpiece_word(const std::u32string& word, std::string& scratch,
                                   std::vector<std::int32_t>& out) const {
  if (static_cast<int>(word.size()) > opt_.max_chars_per_word) {
    out.push_back(vocab_->unk_id);
    return;
  }
  // Byte offsets of each code point in the UTF-8 form, for substring lookups.
  std::string utf8 = encode_utf8(word);
  std::vector<std::size_t> at;
  at.reserve(word.size() + 1);
  for (std::size_t i = 0; i < utf8.size(); ++i)
    if ((static_cast<unsigned char>(utf8[i]) & 0xC0) != 0x80) at.push_back(i);
  at.push_back(utf8.size());
  const std::size_t mark = out.size();
  std::size_t start = 0;
  const std::size_t n = word.size();
  while (start < n) {
    std::size_t end = n;
    int found = -1;
    while (start < end) {
      std::string_view sub(utf8.data() + at[start], at[end] - at[start]);
      if (start == 0) {
        found = vocab_->id(sub);
      } else {
        scratch.assign("##");
        scratch.append(sub);
        found = vocab_->id(scratch);
      }
      if (found >= 0) break;
      --end;
    }
    if (found < 0) {
      out.resize(mark);
      out.push_back(vocab_->unk_id);
      return;
    }
    out.push_back(found);
    start = end;
  }
}

void BertTokenizer::wordpiece_ids(std::string_view text, std::vector<std::int32_t>& out) const {
  std::string scratch;
  basic_tokenize(text, opt_, [&](const std::u32string& w) { wordpiece_word(w, scratch, out); });
}

Encoding BertTokenizer::encode(std::string_view text, std::size_t max_length) const {
  Encoding e;
  e.ids.push_back(vocab_->cls_id);
  wordpiece_ids(text, e.ids);
  e.ids.push_back(vocab_->sep_id);
  e.full_length = e.ids.size();
  if (max_length >= 2 && e.ids.size() > max_length) {
    e.ids.resize(max_length - 1);
    e.ids.push_back(vocab_->sep_id);
  }
  return e;
}

Batch BertTokenizer::pad(const std::vector<Encoding>& encodings, std::size_t pad_to) const {
  Batch b;
  b.rows = encodings.size();
  b.cols = pad_to;
  for (const auto& e : encodings) b.cols = std::max(b.cols, e.ids.size());
  b.input_ids.assign(b.rows * b.cols, vocab_->pad_id);
  b.attention_mask.assign(b.rows * b.cols, 0);
  for (std::size_t r = 0; r < b.rows; ++r)
    for (std::size_t c = 0; c < encodings[r].ids.size(); ++c) {
      b.input_ids[r * b.cols + c] = encodings[r].ids[c];
      b.attention_mask[r * b.cols + c] = 1;
    }
  return b;
}

}  // namespace cast::text
