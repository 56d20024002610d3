// `sn.callbacks`: Keras/TF.js training callbacks, passed in `fit({ callbacks: [...] })`.
export { Callback } from './callback.js';
export type { Mode } from './callback.js';
export { EarlyStopping, earlyStopping } from './early-stopping.js';
export type { EarlyStoppingArgs } from './early-stopping.js';
export { LearningRateScheduler, learningRateScheduler } from './learning-rate-scheduler.js';
export type { ScheduleFn } from './learning-rate-scheduler.js';
export { ReduceLROnPlateau, reduceLROnPlateau } from './reduce-lr-on-plateau.js';
export type { ReduceLROnPlateauArgs } from './reduce-lr-on-plateau.js';
export { TerminateOnNaN, terminateOnNaN } from './terminate-on-nan.js';
