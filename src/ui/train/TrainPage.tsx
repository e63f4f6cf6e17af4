export function TrainPage() { return <section><h2>Train</h2></section>; }
