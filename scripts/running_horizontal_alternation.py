#!/usr/bin/env python3
"""Would the horizontal step alternation tell hopping and jumping from running? (issue 13; an
analysis aid, not part of the build.) Running alternates legs: the horizontal acceleration
(the acceleration minus its component along the window's mean, gravity) repeats at the
stride and flips sideways at every step; hopping and jumping in place land both feet
together, so every hop repeats the last. For every analysis window of the running detector
that passes the default gates (cadence 130-230 spm, periodicity >= 0.6, std >= 0.45 g, step
peak >= 1.8 g, step minimum <= 0.5 g) on UMAFall, MobiFall and SisFall, this computes on
2.5 s at 100 Hz: rh1 / rh2, the normalised autocorrelation of the horizontal acceleration at
the step and at the stride (two steps); rv1, that of the vertical at the step; hv, the
horizontal over the vertical RMS; and prints per recording the medians over its qualifying
windows (alternation = rh2 - rh1).

    AUTOTRIGGER_DATASETS=../shared/datasets IMU_RUN_DUMP=/tmp/run.csv \
        cargo test --release --test imu_running_lodo
    python3 -m venv /tmp/skv && /tmp/skv/bin/pip install numpy
    /tmp/skv/bin/python scripts/running_horizontal_alternation.py /tmp/run.csv | sort

Results: docs/imu.md ("Horizontal step alternation, tried").
"""
import collections
import sys

import numpy as np

rows = [l.rstrip('\n').split(',') for l in open(sys.argv[1])]
def qual(r):
    cad,per,rms,pk,mn=map(float,r[6:11])
    return 130<=cad<=230 and per>=0.6 and rms>=0.45 and pk>=1.8 and mn<=0.5
byrec=collections.defaultdict(list)
for r in rows:
    if r[0] not in ('UMAFall','MobiFall_v2.0','SisFall'): continue
    if qual(r): byrec[(r[0],r[1],r[2],r[3],r[4])].append((float(r[5]),float(r[6]),int(r[13])))
def load(path, ds):
    if ds=='SisFall':
        a=np.array([[float(v) for v in l.strip().rstrip(';').split(',')[:3]] for l in open(path) if l.strip()])
        a=a*(32.0/8192.0); t=np.arange(len(a))/200.0
    else:
        d=np.genfromtxt(path,delimiter=',',skip_header=1)
        t=d[:,0]; a=d[:,1:4]/9.80665
    tt=np.arange(t[0],t[-1],0.01)
    A=np.stack([np.interp(tt,t,a[:,k]) for k in range(3)],1)
    return tt,A
def feat(tt,A,tend,cad):
    i1=np.searchsorted(tt,tend); i0=i1-250
    if i0<0: return None
    w=A[i0:i1]; up=w.mean(0); up/=np.linalg.norm(up)
    v=w@up; h=w-np.outer(v,up); h-=h.mean(0); v=v-v.mean()
    L=int(round(6000.0/cad))
    def rho(x,L):
        if x.ndim==1: x=x[:,None]
        return float((x[:-L]*x[L:]).sum()/((x*x).sum()+1e-12))
    return dict(rh1=rho(h,L), rh2=rho(h,2*L), rv1=rho(v,L), hv=float(np.sqrt((h*h).sum(1).mean())/np.sqrt((v*v).mean())))
out=collections.defaultdict(list)
for (ds,pos,lab,code,path),ws in byrec.items():
    try: tt,A=load(path,ds)
    except Exception as e: print('ERR',path,e,file=sys.stderr); continue
    fs=[feat(tt,A,t,c) for t,c,s in ws]
    fs=[f for f in fs if f]
    if not fs: continue
    med={k:float(np.median([f[k] for f in fs])) for k in fs[0]}
    out[(ds,pos,lab=='run',code)].append((med,len(ws),path.split('/')[-1][:40]))
for k in sorted(out):
    for med,n,p in out[k]:
        print(k[0][:7],k[1],'RUN' if k[2] else '---',k[3],n,' '.join(f'{a}={b:.2f}' for a,b in med.items()),p)
