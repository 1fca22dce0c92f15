// Vercel runs the files under api/ as functions: this one is Vercel Cron's sweep, hosts/vercel/sweep.js (see there).
export { default } from "../hosts/vercel/sweep.js";
