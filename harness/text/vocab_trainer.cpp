#include "text/vocab_trainer.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include "common/error.hpp"
#include "text/unicode.hpp"

namespace cast::text {

namespace {
struct PairHash {
  std::size_t operator()(const std::pair<int, int>& p) const {
    return std::hash<long long>()((static_cast<long long>(p.first) << 32) ^ static_cast<unsigned>(p.second));
  }
};
}  // namespace

std::vector<std::string> train_wordpiece_vocab(const std::vector<std::string>& corpus,
                                               const VocabTrainerOptions& opt) {
  // Basic-tokenise with a tokenizer that knows only the specials.
  auto specials = std::make_shared<const Vocab>(Vocab::from_tokens({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}));
  BertTokenizer basic(specials, opt.tokenizer);
  std::unordered_map<std::string, std::size_t> word_count;
  for (const auto& text : corpus)
    for (auto& w : basic.basic_tokens(text)) ++word_count[w];

  std::vector<std::string> vocab = specials->tokens();
  std::unordered_map<std::string, int> index;
  for (std::size_t i = 0; i < vocab.size(); ++i) index[vocab[i]] = static_cast<int>(i);
  auto intern = [&](const std::string& t) {
    auto it = index.find(t);
    if (it != index.end()) return it->second;
    int id = static_cast<int>(vocab.size());
    vocab.push_back(t);
    index.emplace(t, id);
    return id;
  };

  // Words as symbol sequences; the alphabet in sorted order for determinism.
  std::vector<std::pair<std::string, std::size_t>> words(word_count.begin(), word_count.end());
  std::sort(words.begin(), words.end());
  std::set<std::string> alphabet;
  std::vector<std::vector<std::string>> pieces(words.size());
  for (std::size_t w = 0; w < words.size(); ++w) {
    std::u32string u = decode_utf8(words[w].first);
    for (std::size_t i = 0; i < u.size(); ++i) {
      std::string s = (i ? "##" : "") + encode_utf8(std::u32string(1, u[i]));
      pieces[w].push_back(s);
      alphabet.insert(s);
    }
  }
  for (const auto& a : alphabet) intern(a);
  std::vector<std::vector<int>> seq(words.size());
  for (std::size_t w = 0; w < words.size(); ++w)
    for (const auto& p : pieces[w]) seq[w].push_back(index[p]);

  while (vocab.size() < opt.vocab_size) {
    std::unordered_map<std::pair<int, int>, std::size_t, PairHash> pairs;
    for (std::size_t w = 0; w < seq.size(); ++w)
      for (std::size_t i = 0; i + 1 < seq[w].size(); ++i) pairs[{seq[w][i], seq[w][i + 1]}] += words[w].second;
    std::pair<int, int> best{-1, -1};
    std::size_t best_n = 0;
    for (const auto& [p, n] : pairs) {
      if (n > best_n || (n == best_n && best.first >= 0 &&
                         std::tie(vocab[p.first], vocab[p.second]) < std::tie(vocab[best.first], vocab[best.second]))) {
        best = p;
        best_n = n;
      }
    }
    if (best.first < 0 || best_n < opt.min_frequency) break;
    const std::string& b = vocab[best.second];
    std::string merged = vocab[best.first] + (b.rfind("##", 0) == 0 ? b.substr(2) : b);
    const int id = intern(merged);
    for (auto& s : seq) {
      std::vector<int> out;
      out.reserve(s.size());
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == best.first && s[i + 1] == best.second) {
          out.push_back(id);
          ++i;
        } else {
          out.push_back(s[i]);
        }
      }
      s.swap(out);
    }
  }
  return vocab;
}

void write_vocab(const std::vector<std::string>& tokens, const std::string& path) {
  std::ofstream os(path);
  if (!os) fail(path, ": cannot write the vocabulary");
  for (const auto& t : tokens) os << t << '\n';
}

}  // namespace cast::text
