rt-repl_LIBS := -ledit
