// Each test here starts Azurite and three broker processes (some also a producer process) and kills brokers on a
// schedule: two such clusters at once on two cores turn timing faults into timeouts, so the classes run one by one.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
