rt-unshare_STATIC := yes
rt-unshare_LIBS := -lboost_program_options
