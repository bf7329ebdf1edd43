// A ReplicaThread module that fails as it loads (replica_thread.test.ts): the thread never serves.
throw new Error('this learner thread module is broken');
