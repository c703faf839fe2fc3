rt-unshare_STATIC := yes
rt-unshare_LIBS := -lboost_program_options
# short-lived in rt-run's chain (root, no -t: --hand-over, it ends once rt-run
# holds PID 1): maps its binary whole at start, common/prefault.cpp
rt-unshare_PREFAULT := yes
