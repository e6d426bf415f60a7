// Text normalisation and WordPiece tokenisation against Hugging Face's outputs
// (../shared/fixtures/hf_bert_tiny_shared/tokenizer_cases.jsonl: BertTokenizer from
// transformers 5.17, MatSciBERT's normalize_text with its vocab_mappings.txt).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/file_io.hpp"
#include "test_support.hpp"
#include "text/normalizer.hpp"
#include "text/unicode.hpp"
#include "text/vocab_trainer.hpp"
#include "text/wordpiece.hpp"

using namespace cast;
using namespace cast::text;
using Catch::Matchers::Contains;

namespace {
const std::string kFixture = "fixtures/hf_bert_tiny_shared";
std::vector<nlohmann::json> cases() {
  std::vector<nlohmann::json> out;
  for_each_line(shared_dir() + "/" + kFixture + "/tokenizer_cases.jsonl", [&](std::string&& l, std::size_t) {
    out.push_back(nlohmann::json::parse(l));
    return true;
  });
  return out;
}
}  // namespace

TEST_CASE("MatSciBERT normaliser with MatSciBERT's map equals the reference on every case") {
  REQUIRE_SHARED(kFixture + "/tokenizer_cases.jsonl");
  REQUIRE_SHARED("fixtures/matscibert/vocab_mappings.txt");
  auto norm = TextNormalizer::from_file(shared_dir() + "/fixtures/matscibert/vocab_mappings.txt");
  CHECK(norm.size() == 612);
  for (const auto& c : cases()) CHECK(norm.normalize(c["text"].get<std::string>()) == c["normalized"].get<std::string>());
}

TEST_CASE("token ids equal BertTokenizer's, raw and normalised, truncated at 512") {
  REQUIRE_SHARED(kFixture + "/vocab.txt");
  auto vocab = std::make_shared<const Vocab>(Vocab::from_file(shared_dir() + "/" + kFixture + "/vocab.txt"));
  BertTokenizer tok(vocab);
  int n = 0, truncated = 0;
  for (const auto& c : cases()) {
    auto raw = tok.encode(c["text"].get<std::string>(), 512);
    auto normed = tok.encode(c["normalized"].get<std::string>(), 512);
    std::vector<std::int32_t> ref_raw = c["ids_raw_trunc512"], ref_norm = c["ids_normalized_trunc512"];
    CHECK(raw.ids == ref_raw);
    CHECK(normed.ids == ref_norm);
    CHECK(normed.full_length == c["full_length"].get<std::size_t>());
    // Without truncation the first 511 ids agree and the length is the full one.
    auto full = tok.encode(c["normalized"].get<std::string>(), 0);
    CHECK(full.ids.size() == c["full_length"].get<std::size_t>());
    truncated += normed.truncated();
    ++n;
  }
  CHECK(n == 24);
  CHECK(truncated > 0);  // the fixture has texts over 512 tokens
}

TEST_CASE("basic tokenisation: lower case, accents, punctuation, CJK, control characters") {
  auto vocab = std::make_shared<const Vocab>(Vocab::from_tokens({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "li", "##o", "o"}));
  BertTokenizer tok(vocab);
  CHECK(tok.basic_tokens("Héllo, WÖRLD!") == std::vector<std::string>{"hello", ",", "world", "!"});
  CHECK(tok.basic_tokens("2.09 Å\tx\x01y") == std::vector<std::string>{"2", ".", "09", "a", "xy"});
  CHECK(tok.basic_tokens("a中b") == std::vector<std::string>{"a", "中", "b"});
  CHECK(tok.basic_tokens("P̅3") == std::vector<std::string>{"p3"});
  // WordPiece: greedy longest match with ## pieces; an unmatched word is one [UNK].
  CHECK(tok.encode("LiO Li o xyz").ids == std::vector<std::int32_t>{2, 5, 6, 5, 7, 1, 3});
  std::string long_word(101, 'o');
  CHECK(tok.encode(long_word).ids == std::vector<std::int32_t>{2, 1, 3});
}

TEST_CASE("bad input: invalid UTF-8, empty text, missing special tokens") {
  auto vocab = std::make_shared<const Vocab>(Vocab::from_tokens({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}));
  BertTokenizer tok(vocab);
  CHECK_THROWS_WITH(tok.encode("ab\xff"), Contains("not valid UTF-8") && Contains("byte 2"));
  CHECK(tok.encode("").ids == std::vector<std::int32_t>{2, 3});
  CHECK(tok.encode("   \n ").ids == std::vector<std::int32_t>{2, 3});
  CHECK_THROWS_WITH(Vocab::from_tokens({"[PAD]", "[UNK]", "[CLS]", "[SEP]"}), Contains("[MASK]"));
  CHECK(find_invalid_utf8("ok\xc3\x28") == 2);
  CHECK(find_invalid_utf8("Å") == std::string::npos);
}

TEST_CASE("built-in normaliser: scientific Unicode to ASCII-friendly text") {
  auto n = TextNormalizer::builtin();
  CHECK(n.normalize("Li₂O is bonded to Li¹⁺ at 2.09 Å – 3.1 Å.") == "Li2O is bonded to Li1+ at 2.09 A - 3.1 A.");
  CHECK(n.normalize("P̅3m1 line1\nα-Fe 5 µm") == "P3m1 line1\nα-Fe 5 μm");
}

TEST_CASE("WordPiece vocabulary trainer: specials first, no [UNK] on its corpus, frequent words whole") {
  std::vector<std::string> corpus;
  for (int i = 0; i < 50; ++i) {
    corpus.push_back("Li(1) is bonded to four equivalent O(1) atoms to form LiO4 tetrahedra.");
    corpus.push_back("All Li-O bond lengths are 1.97 Å. O(1) is bonded in a tetrahedral geometry.");
  }
  VocabTrainerOptions o;
  o.vocab_size = 120;
  auto tokens = train_wordpiece_vocab(corpus, o);
  REQUIRE(tokens.size() <= 120);
  CHECK(std::vector<std::string>(tokens.begin(), tokens.begin() + 5) ==
        std::vector<std::string>{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"});
  auto vocab = std::make_shared<const Vocab>(Vocab::from_tokens(tokens));
  BertTokenizer tok(vocab);
  for (const auto& t : corpus)
    for (auto id : tok.encode(t, 0).ids) CHECK(id != vocab->unk_id);
  CHECK(vocab->id("bonded") >= 0);
  CHECK(vocab->id("tetrahedra") >= 0);
  // Encoding is shorter than one token per character.
  CHECK(tok.encode(corpus[0], 0).ids.size() < 30);
}
