rt-pull_LIBS := -lcurl -larchive -lcrypto
