# Independent transcriptions of the peers' LR formulas, written from their documented behaviour (not the libraries'
# code, and not the libraries themselves: the real vectors are conformance/lr-schedules.json). Each function mirrors
# the peer's double-precision arithmetic (torch's recursive CosineAnnealingLR and its log-based index under
# step(epoch + i/K), transformers' lambdas, timm's _get_lr, optax's joined schedules) so that boundary quirks show.
# Regenerate: python3 gen_transcriptions.py  (writes peer-transcriptions.json next to it)
import math, random, json
random.seed(20261128)

def torch_cos(a, n, K):
    lr, T, eta = a['lr'], a['T_max'], a.get('eta_min', 0.0)
    out = []
    if K is None:
        cur = lr; last = -1
        for s in range(n):
            last += 1
            if last == 0: cur = lr
            elif (last - 1 - T) % (2 * T) == 0:
                cur = cur + (lr - eta) * (1 - math.cos(math.pi / T)) / 2
            else:
                cur = (1 + math.cos(math.pi * last / T)) / (1 + math.cos(math.pi * (last - 1) / T)) * (cur - eta) + eta
            out.append(cur)
    else:
        for s in range(n):
            e = s // K + (s % K) / K
            out.append(eta + (lr - eta) * (1 + math.cos(math.pi * e / T)) / 2)
    return out

def torch_cawr(a, n, K):
    lr, T0, Tm, eta = a['lr'], a['T_0'], a.get('T_mult', 1), a.get('eta_min', 0.0)
    out = []
    if K is None:
        Tcur = 0; Ti = T0
        for s in range(n):
            if s > 0:
                Tcur += 1
                if Tcur >= Ti:
                    Tcur -= Ti; Ti *= Tm
            out.append(eta + (lr - eta) * (1 + math.cos(math.pi * Tcur / Ti)) / 2)
    else:
        Ti = T0
        for s in range(n):
            epoch = s // K + (s % K) / K
            if epoch >= T0:
                if Tm == 1:
                    Tcur = epoch % T0
                else:
                    nn = int(math.log((epoch / T0 * (Tm - 1) + 1), Tm))
                    Tcur = epoch - T0 * (Tm ** nn - 1) / (Tm - 1)
                    Ti = T0 * Tm ** nn
            else:
                Ti = T0; Tcur = epoch
            out.append(eta + (lr - eta) * (1 + math.cos(math.pi * Tcur / Ti)) / 2)
    return out

def hf(a, n, K, kind):
    lr = a['lr']; W = a.get('num_warmup_steps', 0); N = a['num_training_steps']
    out = []
    for s in range(n):
        t = s if K is None else s // K + (s % K) / K
        if t < W:
            f = float(t) / float(max(1, W))
        else:
            p = float(t - W) / float(max(1, N - W))
            if kind == 'cos':
                c = a.get('num_cycles', 0.5)
                f = max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(c) * 2.0 * p)))
            elif kind == 'hard':
                c = a.get('num_cycles', 1)
                if p >= 1.0: f = 0.0
                else: f = max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((float(c) * p) % 1.0))))
            else:
                c = a.get('num_cycles', 0.5)
                r = a['min_lr_rate'] if 'min_lr_rate' in a else a['min_lr'] / lr
                f = 0.5 * (1.0 + math.cos(math.pi * float(c) * 2.0 * p))
                f = f * (1 - r) + r
                f = max(0.0, f)
        out.append(lr * f)
    return out

def timm(a, n, K):
    lr = a['lr']; ti = a['t_initial']; lmin = a.get('lr_min', 0.0); mul = a.get('cycle_mul', 1.0)
    dec = a.get('cycle_decay', 1.0); lim = a.get('cycle_limit', 1); wt = a.get('warmup_t', 0)
    wi = a.get('warmup_lr_init', 0); pre = a.get('warmup_prefix', False); k = a.get('k_decay', 1.0)
    ws = (lr - wi) / wt if wt else 1
    out = []
    for s in range(n):
        t = s if K is None else s // K + (s % K) / K
        if t < wt:
            out.append(wi + t * ws); continue
        if pre: t = t - wt
        if mul != 1:
            i = math.floor(math.log(1 - t / ti * (1 - mul), mul))
            t_i = mul ** i * ti
            t_curr = t - (1 - mul ** i) / (1 - mul) * ti
        else:
            i = t // ti; t_i = ti; t_curr = t - (ti * i)
        gamma = dec ** i
        lm = lr * gamma
        if i < lim:
            out.append(lmin + 0.5 * (lm - lmin) * (1 + math.cos(math.pi * t_curr ** k / t_i ** k)))
        else:
            out.append(lmin)
    return out

def optax_wcd(a, count):
    init = a.get('init_value', 0.0); peak = a['peak_value']; W = a.get('warmup_steps', 0); D = a['decay_steps']
    end = a.get('end_value', 0.0); ex = a.get('exponent', 1.0)
    alpha = 0.0 if peak == 0 else end / peak
    if count < W and W > 0:
        c = min(max(count, 0), W); frac = 1 - c / W
        return (init - peak) * frac + peak
    c = count - W; dsteps = D - W
    c = min(c, dsteps)
    cd = 0.5 * (1 + math.cos(math.pi * c / dsteps))
    return peak * ((1 - alpha) * cd ** ex + alpha)

def optax(a, n, K, sgdr):
    out = []
    for s in range(n):
        t = s if K is None else s // K + (s % K) / K
        if not sgdr:
            out.append(optax_wcd(a, t))
        else:
            b = 0; val = None
            kws = a['cosine_kwargs']
            val = optax_wcd(kws[0], t)
            for kw_prev, kw in zip(kws, kws[1:]):
                b += kw_prev['decay_steps']
                if t >= b: val = optax_wcd(kw, t - b)
            out.append(val)
    return out

cases = []
def add(name, args, K, n, fn):
    cases.append({'name': name, 'args': args, 'K': K, 'lr': fn(args, n, K)})

for i in range(14):
    K = random.choice([None, None, random.randint(1, 40)])
    add('torch:CosineAnnealingLR', {'lr': random.choice([0.1, 3e-4, 1.0]), 'T_max': random.randint(1, 60), 'eta_min': random.choice([0.0, 1e-6, 0.01])}, K, 160, torch_cos)
for i in range(20):
    K = random.choice([None, random.randint(1, 40)])
    add('torch:CosineAnnealingWarmRestarts', {'lr': random.choice([0.1, 0.5, 1.0]), 'T_0': random.randint(1, 20), 'T_mult': random.choice([1, 2, 3, 4, 10]), 'eta_min': random.choice([0.0, 1e-4])}, K, 400, torch_cawr)
for i in range(18):
    K = random.choice([None, None, random.randint(1, 10)])
    W = random.randint(0, 20); N = W + random.randint(1, 300)
    kind = random.choice(['cos', 'hard', 'min'])
    a = {'lr': random.choice([5e-5, 1e-3, 0.1]), 'num_warmup_steps': W, 'num_training_steps': N}
    name = {'cos': 'transformers:get_cosine_schedule_with_warmup', 'hard': 'transformers:get_cosine_with_hard_restarts_schedule_with_warmup', 'min': 'transformers:get_cosine_with_min_lr_schedule_with_warmup'}[kind]
    if kind == 'hard': a['num_cycles'] = random.randint(1, 7)
    else: a['num_cycles'] = random.choice([0.5, 1.0, 1.5, 0.3, 2.25])
    if kind == 'min':
        if random.random() < 0.5: a['min_lr_rate'] = random.choice([0.1, 0.01])
        else: a['min_lr'] = a['lr'] * 0.05
    steps = (N if K is None else N * K)
    add(name, a, K, min(steps + 60, 250), lambda a_, n_, K_, kind=kind: hf(a_, n_, K_, kind))
for i in range(20):
    K = random.choice([None, None, random.randint(1, 10)])
    a = {'lr': 0.1, 't_initial': random.randint(1, 40), 'lr_min': random.choice([0.0, 1e-5]), 'cycle_mul': random.choice([1.0, 1.5, 2.0, 3.0, 1.25, 10.0]),
         'cycle_decay': random.choice([1.0, 0.5, 0.8]), 'cycle_limit': random.randint(1, 6), 'warmup_t': random.choice([0, 0, 3, 10]),
         'warmup_lr_init': random.choice([0, 1e-6]), 'warmup_prefix': random.choice([True, False]), 'k_decay': random.choice([1.0, 1.0, 2.0, 0.5]), 't_in_epochs': False}
    add('timm:CosineLRScheduler', a, K, 300, timm)
for i in range(10):
    K = random.choice([None, None, random.randint(1, 5)])
    W = random.randint(0, 30)
    a = {'init_value': random.choice([0.0, 1e-6]), 'peak_value': random.choice([1e-3, 3e-4]), 'warmup_steps': W, 'decay_steps': W + random.randint(1, 200), 'end_value': random.choice([0.0, 1e-5]), 'exponent': random.choice([1.0, 2.0, 0.5])}
    add('optax:warmup_cosine_decay_schedule', a, K, 200, lambda a_, n_, K_: optax(a_, n_, K_, False))
for i in range(10):
    K = random.choice([None, None, random.randint(1, 5)])
    kws = []
    for j in range(random.randint(1, 4)):
        W = random.randint(0, 15)
        kws.append({'init_value': random.choice([0.0, 1e-4]), 'peak_value': random.choice([1e-2, 5e-3, 1e-3]), 'decay_steps': W + random.randint(1, 80), 'warmup_steps': W, 'end_value': random.choice([0.0, 1e-5]), 'exponent': random.choice([1.0, 2.0])})
    add('optax:sgdr_schedule', {'cosine_kwargs': kws}, K, 250, lambda a_, n_, K_: optax(a_, n_, K_, True))
json.dump({'generated_by': 'gen_transcriptions.py (python3, math module)', 'cases': cases}, open('peer-transcriptions.json', 'w'), separators=(',', ':'))
print(len(cases))
