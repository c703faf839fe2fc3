// Unit tests of image_layout.cpp: reading index.json descriptors.
#include "image_layout.hpp"

#include <doctest/doctest.h>

using namespace rt::layout;

TEST_CASE("annotation: a string value, else empty") {
  json d = json::parse(R"({"digest":"sha256:ab","annotations":{
    "org.opencontainers.image.ref.name":"docker.io/library/alpine:3","io.rt.image.size":12,"empty":""}})");
  CHECK(annotation(d, kRefName) == "docker.io/library/alpine:3");
  CHECK(annotation(d, kAnnSize).empty());  // not a string: ignored, no exception
  CHECK(annotation(d, "empty").empty());
  CHECK(annotation(d, "missing").empty());
  CHECK(annotation(json::parse(R"({"annotations":[1,2]})"), kRefName).empty());
  CHECK(annotation(json::parse(R"({"digest":"sha256:ab"})"), kRefName).empty());
  CHECK(annotation(json::parse("[]"), kRefName).empty());
}

TEST_CASE("make_dangling: the name goes, the image id stays, other annotations kept") {
  json d = json::parse(R"({"digest":"sha256:ab","annotations":{
    "org.opencontainers.image.ref.name":"x:1","io.rt.image.size":"7"}})");
  make_dangling(d, "sha256:cd");
  CHECK(annotation(d, kRefName).empty());
  CHECK_FALSE(d["annotations"].contains(kRefName));
  CHECK(annotation(d, kAnnId) == "sha256:cd");
  CHECK(annotation(d, kAnnSize) == "7");
  // an id found through the annotation needs no blob
  CHECK(entry_image_id("/nonexistent", d) == "sha256:cd");
  json bare = json::parse(R"({"digest":"sha256:ab","annotations":"junk"})");
  make_dangling(bare, "sha256:ef");
  CHECK(annotation(bare, kAnnId) == "sha256:ef");
}

TEST_CASE("blob_path and layer_fs") {
  CHECK(blob_path("/s", "sha256:abc") == "/s/blobs/sha256/abc");
  CHECK(blob_path("/s", "abc") == "/s/blobs/sha256/abc");
  CHECK(layer_fs("/s", "sha256:abc") == "/s/layers/abc/fs");
}
