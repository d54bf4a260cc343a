// Inputs for Benchmarks/scripts/clone_equality.sh: runs CScrimVector's loops on seeded data and writes their
// outputs to $OUT, so builds of the loops for different CPU levels can be compared byte for byte.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include "scrim_vector.h"
#define N 1043
static uint32_t st=12345; static float rnd(){ st^=st<<13; st^=st>>17; st^=st<<5; return (st>>8)/16777216.0f; }
int main(){ float power[N],lambda[N],prev[N],lng[N],l2f[N],linf[N],work[N],ratio[N],gain[N],applied[N],pres[N],sm[N],cur[N],win[N];
 float table[800], wt[N];
 for(int k=0;k<N;k++) wt[k]=(float)(1<<(k%3)); for(int i=0;i<737;i++) table[i]=1.0f/(i+1)+0.001f*i;
 for(int k=0;k<N;k++){ lambda[k]=1e-6f*(1+rnd()*100); power[k]=lambda[k]*rnd()*50; prev[k]=power[k]*rnd(); lng[k]=rnd()*10; l2f[k]=-1-3*rnd(); linf[k]=0.1f+0.2f*rnd(); pres[k]=rnd(); sm[k]=power[k]*rnd(); cur[k]=sm[k]*2; win[k]=lambda[k]*3*rnd(); }
 scrim_gain_params g={0}; g.alpha=0.9f; g.beta=0.1f; g.xiMin=0.003f; g.gammaMax=1e8f; g.priorRatio=3; g.log2e=1.4427f; g.longAlpha=0.99f; g.longBeta=0.01f; g.table=table; g.tableLowest=1.52587890625e-05f; g.tableHighest=127.99f; float lo=1.52587890625e-05f; memcpy(&g.tableLowestBits,&lo,4); g.tableShift=18;
 scrim_tracker_params t={1.1f, -1.4f, 32.6f, 0.8f, 0.2f, 0.8f, 0.2f, 0.99f, 1e8f, 1e-30f};
 scrim_minimum_params mp={1, 0.5f, 0.5f, 2, 1e-30f, 1, 1};
 for(int r=0;r<50;r++){ scrim_vector_track(lambda,pres,power,N,&t); scrim_vector_track_minimum(lambda,sm,cur,win,power,N,&mp);
   float tot=scrim_vector_floors(lng,wt,l2f,linf,N,8.3f,5,-4,1e-6f,1e4f); lng[0]+=tot*1e-6f;
   scrim_vector_gains(power,lambda,prev,lng,l2f,linf,work,ratio,gain,applied,N,&g); scrim_vector_smooth_gains(applied,work,N,0.6f); for(int k=0;k<N;k++) power[k]=power[k]*0.9f+applied[k]*1e-6f; }
 float sums[16]; scrim_vector_statistics(lambda,power,applied,wt,N,sums);
 // bands: 1043 bins as 300 singles, 200 pairs, 540 quads, 3 singles; pooled, then expanded back
 scrim_band_layout lay={300,500,1040,N}; float pooled[N], expanded[N];
 scrim_vector_pool_bands(pooled,power,&lay); scrim_vector_expand_bands(expanded,pooled,&lay);
 // twiddle passes
 int m=512; float z[2*513+2], re[513], im[513], wr[513], wi[513], z2[1026];
 for(int k=0;k<=m;k++){ wr[k]=cosf(3.14159265f*k/m); wi[k]=-sinf(3.14159265f*k/m);} for(int i=0;i<2*m;i++) z[i]=rnd()-0.5f;
 scrim_vector_real_forward_finish(z,wr,wi,re,im,m); scrim_vector_real_inverse_start(re,im,wr,wi,z2,m);
 uint8_t raw[3*N+4]; for(int i=0;i<3*N;i++) raw[i]=(uint8_t)(rnd()*256); float dec[N]; scrim_vector_decode_pcm24(raw,dec,N);
 int32_t ints[N]; int64_t cl=0,nf=0; float src[N]; for(int k=0;k<N;k++) src[k]=(rnd()-0.5f)*2.2f; scrim_vector_quantize(src,ints,N,8388608.0,-8388608.0,8388607.0,-8388608,8388607,&cl,&nf);
 float san[N]; int64_t sb=0, sc=0; for(int k=0;k<N;k++) san[k]=(rnd()-0.5f)*4e6f; san[3]=NAN; san[9]=-INFINITY;
 uint32_t odd[4]={0x80000000u,0x00000001u,0x7FC01234u,0xFF800001u}; for(int i=0;i<4;i++) memcpy(&san[20+i],&odd[i],4);
 scrim_vector_sanitize(san,N,1e6f,&sb,&sc); printf("sanitize %ld %ld\n",(long)sb,(long)sc);
 // the hum tracker's resampler (44 and 60 taps, reads near both ends included), decimator (55 taps), comb grid (79 harmonics, and 25 of a 79-harmonic table), phasors and candidate smoothers
 static float hx[4000], htaps[1025*64], hy[3000], hy2[3000], dtaps[56], hd[1400]; static double ht[3000];
 for(int i=0;i<4000;i++) hx[i]=rnd()-0.5f; for(int i=0;i<1025*64;i++) htaps[i]=(rnd()-0.5f)*0.1f;
 for(int i=0;i<55;i++) dtaps[i]=(rnd()-0.5f)*0.1f; dtaps[55]=0;
 for(int i=0;i<3000;i++) ht[i]=i*1.3317+rnd()*0.5;
 scrim_vector_sinc_reads(hy,ht,3000,htaps,1024,22,hx,4000); scrim_vector_sinc_reads(hy2,ht,3000,htaps,1024,30,hx,4000);
 scrim_vector_fir_decimate(hd,1334,hx,4000,dtaps,27,3);
 static double vre[79], vim[79], tre[7*79*8], tim[7*79*8], csc[56], csc2[56], pc[79], ps[79], kl[16];
 for(int k=0;k<79;k++){ vre[k]=rnd()-0.5; vim[k]=rnd()-0.5; } for(int i=0;i<7*79*8;i++){ tre[i]=cos(0.01*i); tim[i]=-sin(0.013*i); }
 scrim_vector_comb_scores(csc,vre,vim,tre,tim,79,79,7); scrim_vector_comb_scores(csc2,vre,vim,tre,tim,25,79,7);
 scrim_vector_phasors(pc,ps,79,cos(0.0123),sin(0.0123));
 static double kz[500], kr[500], q0s[16], q1s[16], kscale[16];
 for(int i=0;i<500;i++){ kz[i]=(rnd()-0.5)*0.01; kr[i]=i%37==5 ? INFINITY : 1e-6+rnd()*1e-4; }
 for(int l=0;l<16;l++){ q0s[l]=1e-7; q1s[l]=pow(10,-11+(l%8)); kscale[l]=pow(4,l/8); }
 scrim_vector_kalman_likelihoods(kl,kz,kr,500,q0s,q1s,kscale,2,1e6,1);
 static double kl3[16], q2s[16]; for(int l=0;l<16;l++) q2s[l]=pow(10,-14+(l%8)); scrim_vector_kalman3_likelihoods(kl3,kz,kr,500,q0s,q1s,q2s,kscale,2,1e6,1,1e-2);
 // the hum tracker's residual weights (power, local means, weights) and amplitude sums: 300 frames of 25 harmonics
 static double wre[300*25], wim[300*25], wg[300], war[25], wai[25], wpow[300*25], wsm[300*25], wfl[25], wout[300*25], wout2[300*25], anr[25], ani[25], aden[25], anr2[25], ani2[25], aden2[25];
 for(int i=0;i<300*25;i++){ wre[i]=(rnd()-0.5)*1e-3; wim[i]=(rnd()-0.5)*1e-3; } for(int m=0;m<300;m++) wg[m]=0.9+0.2*rnd();
 for(int k=0;k<25;k++){ war[k]=(rnd()-0.5)*1e-3; wai[k]=(rnd()-0.5)*1e-3; wfl[k]=rnd()*1e-8; }
 scrim_vector_hum_residual_power(wpow,wre,wim,wg,war,wai,300,25); scrim_vector_hum_local_means(wsm,wpow,300,25,2);
 scrim_vector_hum_weights(wout,wsm,wfl,0,300,25); scrim_vector_hum_weights(wout2,wsm,wfl,2,300,25);
 scrim_vector_hum_amplitude_sums(anr,ani,aden,wre,wim,wout,wg,300,25); scrim_vector_hum_amplitude_sums(anr2,ani2,aden2,wre,wim,NULL,wg,300,25);
 // the hum tracker's bootstrap loops (79 harmonics)
 static double bre[79], bim[79], brr[79], bri[79], bvr[79], bvi[79], bw[79], blocal[79], bfloor[79], bmag[79], bur[79], bui[79], bscr[158]; double bq;
 for(int k=0;k<79;k++){ bre[k]=(rnd()-0.5)*1e-3; bim[k]=(rnd()-0.5)*1e-3; blocal[k]=rnd()*1e-8; bfloor[k]=rnd()*1e-9; bmag[k]=rnd()*1e-3; double a=6.283*rnd(); bur[k]=cos(a); bui[k]=sin(a); }
 scrim_vector_hum_rotate(brr,bri,bre,bim,pc,ps,79); scrim_vector_hum_bootstrap_weigh(bvr,bvi,bw,blocal,bfloor,brr,bri,bmag,bur,bui,0.0033,79);
 bq=scrim_vector_hum_bootstrap_follow(bmag,brr,bri,bur,bui,bw,300,bscr,79);
 FILE*f=fopen(getenv("OUT"),"wb"); fwrite(brr,8,79,f); fwrite(bri,8,79,f); fwrite(bvr,8,79,f); fwrite(bvi,8,79,f); fwrite(bw,8,79,f); fwrite(blocal,8,79,f); fwrite(bfloor,8,79,f); fwrite(bmag,8,79,f); fwrite(&bq,8,1,f); fwrite(wpow,8,7500,f); fwrite(wsm,8,7500,f); fwrite(wout,8,7500,f); fwrite(wout2,8,7500,f); fwrite(anr,8,25,f); fwrite(ani,8,25,f); fwrite(aden,8,25,f); fwrite(anr2,8,25,f); fwrite(ani2,8,25,f); fwrite(aden2,8,25,f); fwrite(hy,4,3000,f); fwrite(hy2,4,3000,f); fwrite(hd,4,1334,f); fwrite(csc,8,56,f); fwrite(csc2,8,56,f); fwrite(pc,8,79,f); fwrite(ps,8,79,f); fwrite(kl,8,16,f); fwrite(kl3,8,16,f); fwrite(applied,4,N,f); fwrite(lambda,4,N,f); fwrite(prev,4,N,f); fwrite(lng,4,N,f); fwrite(sums,4,16,f); fwrite(re,4,513,f); fwrite(im,4,513,f); fwrite(z2,4,1024,f); fwrite(dec,4,N,f); fwrite(ints,4,N,f); fwrite(expanded,4,N,f); fwrite(san,4,N,f); fwrite(&sb,8,1,f); fwrite(&sc,8,1,f); fwrite(&nf,8,1,f); fclose(f); printf("clipped %ld\n",(long)cl); }
