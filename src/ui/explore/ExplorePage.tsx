export function ExplorePage() { return <section><h2>Explore</h2></section>; }
