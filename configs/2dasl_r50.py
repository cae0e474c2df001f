# The entry point of 2DASL training:
#   python tools/train.py configs/2dasl_r50.py
# is the paper's stage 1,
# configs/2dasl/2dasl_r50_1xb32-50e_300wlp-itw-120x120.py (ResNet-50,
# 300W-LP + in-the-wild faces, all five losses).
_base_ = ['./2dasl/2dasl_r50_1xb32-50e_300wlp-itw-120x120.py']
