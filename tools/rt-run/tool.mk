rt-run_STATIC := yes
