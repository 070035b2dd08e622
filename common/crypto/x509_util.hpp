// Internal to ward_crypto: helpers shared by x509.cpp, x509_issue.cpp and
// x509_verify.cpp. Not part of the public API.
#pragma once

#include <chrono>
#include <string>

#include <openssl/x509.h>

namespace ward::crypto::detail {

// "2026-01-01T00:00:00Z" (UTC, second precision).
std::string format_time(std::chrono::system_clock::time_point tp);

// An ASN1_TIME as a time_point; the epoch if it cannot be parsed (which reads as
// "expired long ago" for notAfter; verification re-checks times through OpenSSL).
std::chrono::system_clock::time_point from_asn1_time(const ASN1_TIME* t);

// The first commonName of a name as UTF-8, or "" if there is none.
std::string name_common_name(const X509_NAME* name);

}  // namespace ward::crypto::detail
