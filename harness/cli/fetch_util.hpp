// What the `cast data fetch` sources share: SHA-256 (OpenSSL), file copies, a resumable libcurl
// download, one HTTP GET with its status and headers, and deterministic gzip.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace cast::cli {

std::string sha256_file(const std::string& path);
std::string sha256_bytes(const std::string& bytes);
void copy_file(const std::string& from, const std::string& to);

// Downloads url into part (appending to what is there: resume), up to `tries` attempts.
void download(const std::string& url, const std::string& part, int tries);

struct HttpResponse {
  long status = 0;          // 0: no HTTP response at all (see curl_error)
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string curl_error;   // empty when the transfer completed
  bool network_error = false;  // could not resolve / connect / timed out before any response
};
// One GET; never throws for HTTP or network errors (the caller decides what they mean).
// head: a HEAD request that does not follow redirects (does the file exist; its headers).
HttpResponse http_get(const std::string& url, const std::vector<std::string>& headers, long timeout_s = 300,
                      bool head = false);
// Percent-encoding of a query value.
std::string url_escape(const std::string& s);

// gzip of bytes with mtime 0 and no file name: the same bytes give the same file.
std::string gzip_bytes(const std::string& bytes);
// The same for a file of any size, streamed: in -> out (written in place; the caller renames).
void gzip_file(const std::string& in, const std::string& out);

struct MpFetchOptions {
  std::string api_key, endpoint = "https://api.materialsproject.org", out;
  bool texts = false, quiet = false, refresh = false;
  std::size_t page_size = 1000, limit = 0;  // limit 0: every document
  int tries = 6;
  double backoff_s = 1, max_backoff_s = 60;  // waits 1, 2, 4, ... s (at most 60) between tries
};
int fetch_mp(const MpFetchOptions& o);

struct HfFetchOptions {
  std::string repo = "m3rg-iitd/matscibert", revision, mirror, from, out, endpoint = "https://huggingface.co";
  std::string sha256_file;  // expected hashes, sha256sum format (overrides the pinned ones)
  int tries = 3;
};
int fetch_hf_model(const HfFetchOptions& o);

}  // namespace cast::cli
