rt-pull_LIBS := -lcurl -larchive -lcrypto -lboost_program_options -lboost_filesystem
